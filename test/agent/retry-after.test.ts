import assert from 'node:assert/strict';
import { it } from 'node:test';
import { retryAfterMs } from '../../agent/execute-steps.js';

const retry = { baseMs: 30_000, maxMs: 30 * 60_000 };

it('retries a failed version from its kind: stalled at the longest interval, others with a growing backoff', () => {
  const table: [Parameters<typeof retryAfterMs>[0], number, (ms: number) => boolean][] = [
    ['stalled', 1, (ms) => ms === retry.maxMs],
    ['stalled', 5, (ms) => ms === retry.maxMs],
    ['waiting', 1, (ms) => ms <= retry.baseMs * 2],
    ['generic', 1, (ms) => ms <= retry.baseMs * 2],
    ['waiting', 20, (ms) => ms <= retry.maxMs],
  ];
  for (const [kind, attempts, ok] of table) assert.ok(ok(retryAfterMs(kind, attempts, retry)), `${kind} after ${attempts}: ${retryAfterMs(kind, attempts, retry)}`);
});

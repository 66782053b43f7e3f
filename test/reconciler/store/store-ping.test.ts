// The store's periodic check (what /readyz reads for PostgreSQL): failed checks give the reason
// (URLs in it redacted), a check that hangs counts once past its timeout, a success clears it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStorePing } from '../../../reconciler/store/store-ping.js';

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !check()) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe('store ping', () => {
  it('null while checks pass, the reason while they fail, null again after', async () => {
    let answer: () => Promise<unknown> = async () => 1;
    const changes: (string | null)[] = [];
    let checks = 0;
    const ping = startStorePing({ check: () => (checks++, answer()), intervalMs: 5, onChange: (s) => changes.push(s) });
    try {
      await until('a check', () => checks > 1);
      assert.equal(ping.state(), null);
      answer = async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5 via postgres://drover:s3cret@127.0.0.1:5/db');
      };
      await until('the failure seen', () => ping.state() !== null);
      assert.equal(ping.state(), 'connect ECONNREFUSED 127.0.0.1:5 via postgres://***@127.0.0.1:5/db');
      answer = async () => 1;
      await until('answering again', () => ping.state() === null);
      assert.deepEqual(changes, ['connect ECONNREFUSED 127.0.0.1:5 via postgres://***@127.0.0.1:5/db', null], 'each change once');
    } finally {
      ping.stop();
    }
  });

  it('a check that does not answer counts once past the timeout; one check at a time', async () => {
    let clock = 0;
    let release: () => void = () => undefined;
    let checks = 0;
    const ping = startStorePing({ check: () => (checks++, new Promise<void>((r) => (release = r))), intervalMs: 5, timeoutMs: 1000, now: () => clock });
    try {
      await until('a check', () => checks === 1);
      assert.equal(ping.state(), null, 'in flight, not past the timeout');
      clock = 999;
      assert.equal(ping.state(), null);
      clock = 1000;
      assert.equal(ping.state(), 'no answer within 1 s');
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(checks, 1, 'no second check while one is in flight');
      release();
      await until('answered', () => ping.state() === null);
    } finally {
      ping.stop();
    }
  });
});

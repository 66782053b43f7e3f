// The in-memory parts of the status report: activities per connection and the audit ring.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listActivities, startActivity, type Activity } from '../../jump/activity.js';
import { AuditLog, RECENT_AUDIT_EVENTS } from '../../jump/audit.js';

test('an activity switches kind and device with a new start, and ends', () => {
  let t = Date.parse('2026-01-01T00:00:00Z');
  const now = (): number => t;
  const set = new Set<Activity>();
  const a = startActivity(set, { user: 'alice', from: '10.0.0.1', kind: 'menu', device: null }, now);
  assert.deepEqual([...set], [{ user: 'alice', from: '10.0.0.1', kind: 'menu', device: null, since: '2026-01-01T00:00:00.000Z' }]);
  t += 60_000;
  a.set({ kind: 'device', device: 'dev-1', port: 22 });
  assert.deepEqual([...set][0], { user: 'alice', from: '10.0.0.1', kind: 'device', device: 'dev-1', port: 22, since: '2026-01-01T00:01:00.000Z' });
  t += 60_000;
  a.set({ kind: 'menu', device: null });
  assert.equal('port' in [...set][0]!, false, 'back in the menu: no port');
  a.end();
  assert.equal(set.size, 0);
});

test('the report lists activities oldest first, bounded, as copies', () => {
  let t = 1_000_000;
  const set = new Set<Activity>();
  for (const user of ['c', 'a', 'b']) startActivity(set, { user, from: 'x', kind: 'tunnel', device: 'd', port: 22 }, () => (t -= 1000));
  const listed = listActivities(set, 2);
  assert.deepEqual(listed.map((a) => a.user), ['b', 'a']);
  listed[0]!.user = 'changed';
  assert.ok([...set].every((a) => a.user !== 'changed'));
});

test('the audit log keeps its last events in memory, strings shortened, as written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-audit-'));
  try {
    const log = new AuditLog(join(dir, 'audit.jsonl'));
    for (let i = 0; i < RECENT_AUDIT_EVENTS + 5; i++) log.write({ event: 'login-attempt', user: `u${i}`, from: '127.0.0.1' });
    log.write({ event: 'login-failed', user: 'x'.repeat(5000), from: '127.0.0.1', reason: 'unknown user' });
    const recent = log.recent();
    assert.equal(recent.length, RECENT_AUDIT_EVENTS);
    assert.equal(recent[0]!.user, 'u6', 'the oldest ones dropped');
    const last = recent.at(-1)!;
    assert.equal(last.event, 'login-failed');
    assert.ok((last.user as string).length <= 200);
    assert.match(last.time, /^\d{4}-\d\d-\d\dT/);
    await log.close();
    const lines = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, RECENT_AUDIT_EVENTS + 6, 'the file keeps everything');
    assert.deepEqual(recent.slice(0, -1), lines.slice(6, -1), 'the ring holds the same objects as the file');
    assert.equal((lines.at(-1)!.user as string).length, 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

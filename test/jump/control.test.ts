// jump/control: start, status, stop of the real daemon (bin/drover.js jump) with a pid and log file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyExampleFleet, startMetaInProcess } from '../helpers/meta-process.js';

/** fetch, retried (bounded) while a busy meta answers 503 from its load guard. */
async function fetchMeta(url: string, init?: RequestInit): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || i >= 50) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('jump/control', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-control-'));
  // the sources, not a possibly stale dist/: node --import tsx cli/main.ts jump
  const env = { ...process.env, NODE_OPTIONS: '--import tsx', DROVER_BIN: 'cli/main.ts', DROVER_JUMP_VAR: join(dir, 'var'), DROVER_JUMP_CONFIG: join(dir, 'none.yaml'), DROVER_LISTEN: '127.0.0.1:0', DROVER_DATA: join(dir, 'data'), DROVER_LOG_LEVEL: 'info' };
  const control = (...args: string[]) => spawnSync('jump/control', args, { env, encoding: 'utf8', timeout: 40_000 });
  after(() => {
    control('stop');
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts the daemon, reports started, stops it', async () => {
    const started = control('start');
    assert.equal(started.status, 0, started.stdout + started.stderr);
    const pid = Number(readFileSync(join(dir, 'var', 'jump.pid'), 'utf8'));
    assert.ok(pid > 0);
    // bounded wait until jump has made its host key and logged that it listens
    for (let i = 0; i < 600 && !/jump listening/.test(readLog()); i++) await new Promise((r) => setTimeout(r, 100));
    assert.match(readLog(), /jump listening/);
    assert.ok(existsSync(join(dir, 'data', 'host_ed25519_key')));
    assert.equal(control('status').stdout.trim(), 'started');
    const stopped = control('stop');
    assert.equal(stopped.status, 0);
    assert.match(stopped.stdout, /stoped/);
    const status = control('status');
    assert.equal(status.stdout.trim(), 'stoped');
    assert.equal(status.status, 1);
    assert.throws(() => process.kill(pid, 0));
  });

  function readLog(): string {
    try {
      return readFileSync(join(dir, 'var', 'jump.log'), 'utf8');
    } catch {
      return '';
    }
  }

  it('restarts jump when meta asks (the supervisor loop starts it again after the drain)', async () => {
    const meta = await startMetaInProcess({ repo: copyExampleFleet() });
    const auth = { authorization: `Bearer ${meta.adminToken}` };
    const metaEnv = { DROVER_META: meta.url, DROVER_META_TOKEN: meta.adminToken, DROVER_REPORT_INTERVAL: '200ms', DROVER_NAME: 'jump-ctl' };
    // meta may answer 503 while the machine is busy (its load guard): that counts as "not yet"
    const jumps = async (): Promise<{ name: string; startedAt: string; up: boolean }[]> => {
      const res = await fetch(`${meta.url}/v1/jump`, { headers: auth });
      return res.ok ? ((await res.json()) as { jumps: { name: string; startedAt: string; up: boolean }[] }).jumps : [];
    };
    try {
      const started = spawnSync('jump/control', ['start'], { env: { ...env, ...metaEnv }, encoding: 'utf8', timeout: 40_000 });
      assert.equal(started.status, 0, started.stdout + started.stderr + readLog());
      let first: string | undefined;
      for (let i = 0; i < 200 && !first; i++) {
        first = (await jumps()).find((j) => j.name === 'jump-ctl')?.startedAt;
        if (!first) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(first, `jump reported to meta; log:\n${readLog()}`);
      const res = await fetchMeta(`${meta.url}/v1/jump/restart`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'jump-ctl', deadlineMs: 5000 }) });
      assert.equal(res.status, 202, await res.clone().text());
      let second: string | undefined;
      for (let i = 0; i < 300 && !second; i++) {
        const j = (await jumps()).find((x) => x.name === 'jump-ctl');
        if (j && j.startedAt !== first && j.up) second = j.startedAt;
        else await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(second && Date.parse(second) > Date.parse(first), `a new jump process reported after the restart; log:\n${readLog()}`);
      assert.match(readLog(), /drained for a restart; starting again/);
      assert.equal(control('status').stdout.trim(), 'started', readLog());
    } finally {
      control('stop');
      await meta.stop();
    }
  });
});

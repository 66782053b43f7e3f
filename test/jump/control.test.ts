// jump/control: start, status, stop of the real daemon (bin/drover.js jump) with a pid and log file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

describe('jump/control', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-control-'));
  const env = { ...process.env, DROVER_JUMP_VAR: join(dir, 'var'), DROVER_JUMP_CONFIG: join(dir, 'none.yaml'), DROVER_LISTEN: '127.0.0.1:0', DROVER_DATA: join(dir, 'data'), DROVER_LOG_LEVEL: 'info' };
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
    for (let i = 0; i < 100 && !/jump listening/.test(readLog()); i++) await new Promise((r) => setTimeout(r, 100));
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
});

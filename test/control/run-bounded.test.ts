import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { groupAlive, killProcessGroup, runBounded } from '../../control/run-bounded.js';

/** Alive and not a zombie (PID 1 here may not reap orphans). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

const leftovers: number[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'drover-run-'));
after(() => {
  for (const pid of leftovers) {
    // Only our own leftovers (sleep / bash loops), never a pid reused by someone else.
    if (!alive(pid) || !/sleep|bash/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

const firstNumber = (s: string) => Number(/(\d+)/.exec(s)?.[1]);

describe('runBounded', () => {
  it('captures stdout and stderr interleaved with the exit code', async () => {
    const r = await runBounded({ command: 'bash', args: ['-c', 'echo out; echo err >&2; exit 3'], timeoutMs: 30_000 });
    assert.equal(r.exitCode, 3);
    assert.equal(r.signal, null);
    assert.equal(r.timedOut, false);
    assert.match(r.output, /out/);
    assert.match(r.output, /err/);
    assert.ok(r.pid > 0);
    assert.ok(Date.parse(r.finishedAt) >= Date.parse(r.startedAt));
  });

  it('passes env (added to the inherited one) and cwd', async () => {
    const r = await runBounded({ command: 'bash', args: ['-c', 'echo "$FOO:$(pwd):${PATH:+haspath}"'], env: { FOO: 'bar' }, cwd: tmp, timeoutMs: 30_000 });
    assert.equal(r.output.trim(), `bar:${tmp}:haspath`);
  });

  it('on timeout kills the whole group, including a background sleep', async () => {
    let spawned = 0;
    const r = await runBounded({
      command: 'bash', args: ['-c', 'sleep 600 & echo "bg $!"; echo started'],
      timeoutMs: 800, killGraceMs: 500, onSpawn: (pid) => (spawned = pid),
    });
    const sleepPid = firstNumber(r.output);
    leftovers.push(sleepPid);
    assert.equal(r.timedOut, true);
    assert.equal(r.pid, spawned);
    assert.match(r.output, /started/);
    assert.ok(sleepPid > 0);
    assert.equal(alive(sleepPid), false, `sleep ${sleepPid} still alive`);
    assert.equal(groupAlive(r.pid), false);
    const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(sleepPid)]);
    assert.ok(ps === '' || ps.startsWith('Z'), `ps says ${ps}`);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const r = await runBounded({
      command: 'bash', args: ['-c', 'trap "" TERM; sleep 600 & echo "bg $!"; wait'],
      timeoutMs: 500, killGraceMs: 300,
    });
    const sleepPid = firstNumber(r.output);
    leftovers.push(sleepPid);
    assert.equal(r.timedOut, true);
    assert.equal(r.signal, 'SIGKILL');
    assert.equal(alive(sleepPid), false);
  });

  it('keeps only the tail of a large output', async () => {
    const r = await runBounded({
      command: 'bash', args: ['-c', "head -c 2000000 /dev/zero | tr '\\0' a; echo; echo END"],
      timeoutMs: 30_000, maxOutputBytes: 1000,
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.truncated, true);
    assert.ok(Buffer.byteLength(r.output) <= 1000);
    assert.ok(r.output.endsWith('END\n'));
    assert.match(r.output, /^a+\nEND\n$/);
  });

  it('untilOutputCloses=false returns when the main process exits and leaves the group alone', async () => {
    const r = await runBounded({
      command: 'bash',
      args: ['-c', '(while true; do echo tick; sleep 0.05; done) & echo "bg $!"; echo started'],
      timeoutMs: 30_000, untilOutputCloses: false,
    });
    const bgPid = firstNumber(r.output);
    leftovers.push(bgPid);
    assert.equal(r.timedOut, false);
    assert.equal(r.exitCode, 0);
    assert.match(r.output, /started/);
    // The service keeps writing to the pipe after we stopped capturing: it must neither block nor die.
    await new Promise((res) => setTimeout(res, 500));
    assert.equal(alive(bgPid), true, 'the background service was killed');
    assert.equal(groupAlive(r.pid), true);
    const k = await killProcessGroup(r.pid, 1000);
    assert.equal(k.gone, true);
    assert.equal(alive(bgPid), false);
  });

  it('reports spawn errors as results, not throws', async () => {
    const missing = await runBounded({ command: join(tmp, 'no-such-binary'), timeoutMs: 5_000 });
    assert.equal(missing.exitCode, null);
    assert.equal(missing.pid, 0);
    assert.match(missing.output, /ENOENT/);
    assert.ok(missing.spawnError);

    const script = join(tmp, 'not-executable.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n');
    chmodSync(script, 0o644);
    const denied = await runBounded({ command: script, timeoutMs: 5_000 });
    assert.equal(denied.exitCode, null);
    assert.match(denied.output, /EACCES/);

    const badCwd = await runBounded({ command: 'true', cwd: join(tmp, 'missing-dir'), timeoutMs: 5_000 });
    assert.equal(badCwd.exitCode, null);
    assert.match(badCwd.output, /working directory .*missing-dir does not exist/);
  });

  it('an abort signal stops the group', async () => {
    const ac = new AbortController();
    const p = runBounded({
      command: 'bash', args: ['-c', 'sleep 600 & echo "bg $!"; wait'],
      timeoutMs: 60_000, killGraceMs: 500, signal: ac.signal,
      onSpawn: () => setTimeout(() => ac.abort(), 200),
    });
    const r = await p;
    const sleepPid = firstNumber(r.output);
    leftovers.push(sleepPid);
    assert.equal(r.aborted, true);
    assert.equal(r.timedOut, false);
    assert.equal(alive(sleepPid), false);

    const pre = await runBounded({ command: 'true', timeoutMs: 1000, signal: AbortSignal.abort() });
    assert.equal(pre.aborted, true);
    assert.equal(pre.pid, 0);
  });

  it('runs as another user when asked (root only)', { skip: process.getuid?.() !== 0 }, async () => {
    const r = await runBounded({ command: 'id', args: ['-u'], uid: 65534, gid: 65534, timeoutMs: 5_000, cwd: '/' });
    assert.equal(r.output.trim(), '65534');
  });
});

describe('killProcessGroup', () => {
  it('stops a detached group and refuses our own', async () => {
    const child = spawn('bash', ['-c', 'sleep 600 & sleep 600 & wait'], { detached: true, stdio: 'ignore' });
    leftovers.push(child.pid!);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(groupAlive(child.pid!), true);
    const r = await killProcessGroup(child.pid!, 1000);
    assert.deepEqual([r.wasRunning, r.gone], [true, true]);
    assert.equal(groupAlive(child.pid!), false);
    const again = await killProcessGroup(child.pid!, 1000);
    assert.equal(again.wasRunning, false);
    await assert.rejects(killProcessGroup(process.pid, 100), /refusing/);
  });
});

function spawnSync(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch (err) {
    return String((err as { stdout?: string }).stdout ?? '').trim();
  }
}

// Containment with a real cgroup v2 hierarchy (mounted into a temporary folder, as root): a run
// that times out takes `setsid sleep &` and a double-forking daemon with it. Without the cgroup
// (process group only) the setsid child escapes: that is the weaker containment the agent logs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Cgroups, isCgroup2 } from '../../control/cgroup.js';
import { openCommandJournal } from '../../control/command-journal.js';
import { createCommandRunner } from '../../control/command-runner.js';
import { runBounded } from '../../control/run-bounded.js';
import { silentLogger } from '../../lib/log.js';

const mnt = mkdtempSync(join(tmpdir(), 'drover-cgroup2-'));
let skip: string | false = false;
try {
  execFileSync('mount', ['-t', 'cgroup2', 'none', mnt], { stdio: 'pipe' });
} catch (err) {
  skip = `cgroup v2 is not available here (mount -t cgroup2 refused: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()})`;
  console.log(`# skipped: ${skip}`);
}

after(() => {
  if (!skip) {
    try {
      for (const d of readdirSync(join(mnt, 'drover'))) rmSync(join(mnt, 'drover', d), { recursive: false, force: true });
    } catch {
      /* nothing made */
    }
    execFileSync('umount', ['-l', mnt]);
  }
  rmSync(mnt, { recursive: true, force: true });
});

/** Live processes running exactly `sleep SECONDS`. */
function sleeping(seconds: number): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8') !== `sleep\0${seconds}\0`) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (!/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

const ESCAPES = (a: number, b: number) =>
  `setsid sleep ${a} </dev/null >/dev/null 2>&1 & ( ( sleep ${b} </dev/null >/dev/null 2>&1 & ) & ) ; echo started; sleep 30`;

describe('cgroup v2 containment', { skip }, () => {
  it('is found in the mounted folder', () => {
    assert.equal(isCgroup2(mnt), true);
    assert.equal(isCgroup2(tmpdir()), false);
    assert.equal(Cgroups.open(tmpdir()), null);
  });

  it('a timeout kills setsid children and double-forked daemons with the cgroup', async () => {
    const cg = Cgroups.open(mnt)!;
    assert.ok(cg);
    const run = cg.create('escape');
    const r = await runBounded({ command: 'bash', args: ['-c', ESCAPES(611, 612)], timeoutMs: 1_500, killGraceMs: 300, cgroup: run });
    assert.equal(r.timedOut, true);
    assert.match(r.output, /started/);
    assert.deepEqual(sleeping(611), [], 'the setsid child is gone');
    assert.deepEqual(sleeping(612), [], 'the double-forked daemon is gone');
    assert.equal(existsSync(run.dir), false, 'the empty cgroup was removed');
  });

  it('a run that ends by itself leaves its cgroup; a service it started stays (control start)', async () => {
    const cg = Cgroups.open(mnt)!;
    const run = cg.create('start');
    const r = await runBounded({ command: 'bash', args: ['-c', 'setsid sleep 613 </dev/null >/dev/null 2>&1 & echo started'], timeoutMs: 10_000, untilOutputCloses: false, cgroup: run });
    assert.equal(r.exitCode, 0);
    // The background child may not have exec'd `sleep` yet when bash exits: wait for it (bounded).
    for (let i = 0; i < 200 && sleeping(613).length === 0; i++) await new Promise((res) => setTimeout(res, 50));
    const [svc] = sleeping(613);
    assert.ok(svc, 'the service runs');
    assert.equal(existsSync(run.dir), true, 'its cgroup stays while the service lives');
    assert.ok(await run.kill());
    for (let i = 0; i < 200 && sleeping(613).length > 0; i++) await new Promise((res) => setTimeout(res, 50));
    assert.deepEqual(sleeping(613), []);
    cg.sweep();
    assert.equal(existsSync(run.dir), false, 'swept once empty');
  });

  it('an approved command with `setsid sleep &` that times out leaves nothing behind (the command runner uses cgroups)', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'drover-cgroup-cmd-'));
    const journal = await openCommandJournal({ stateDir });
    const runner = createCommandRunner({ journal, stateDir, log: silentLogger(), killGraceMs: 300, cgroups: Cgroups.open(mnt) });
    try {
      const c = { id: 'escape@h1', name: 'escape', hash: 'h1', run: ESCAPES(616, 617), timeoutMs: 1_500, user: null, env: null, workdir: null, repeat: null, origin: 'override' as const };
      runner.sync([c]);
      const deadline = Date.now() + 60_000;
      while (!['timedOut', 'failed', 'succeeded'].includes(runner.reports([c])[0]!.status) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(runner.reports([c])[0]!.status, 'timedOut');
      assert.deepEqual([...sleeping(616), ...sleeping(617)], []);
    } finally {
      await runner.close(2_000);
      await journal.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('without a cgroup, the process group alone lets a setsid child escape (the weaker containment)', async () => {
    const r = await runBounded({ command: 'bash', args: ['-c', ESCAPES(614, 615)], timeoutMs: 1_500, killGraceMs: 300 });
    assert.equal(r.timedOut, true);
    const escaped = [...sleeping(614), ...sleeping(615)];
    for (const pid of escaped) process.kill(pid, 'SIGKILL');
    assert.ok(escaped.length > 0, 'something escaped the process group');
  });
});

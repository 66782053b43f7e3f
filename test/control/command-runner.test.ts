import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openCommandJournal, type CommandJournal } from '../../control/command-journal.js';
import { createCommandRunner, type CommandRunner } from '../../control/command-runner.js';
import { silentLogger } from '../../lib/log.js';
import type { DesiredCommand } from '../../specs/wire/desired.js';

const root = mkdtempSync(join(tmpdir(), 'drover-runner-'));
const open: Array<{ runner: CommandRunner; journal: CommandJournal }> = [];
after(async () => {
  for (const o of open) {
    await o.runner.close(2000);
    await o.journal.close();
  }
  rmSync(root, { recursive: true, force: true });
});
let n = 0;

async function setup(stateDir = join(root, `case-${n++}`), maxConcurrent?: number) {
  mkdirSync(stateDir, { recursive: true });
  const journal = await openCommandJournal({ stateDir });
  const runner = createCommandRunner({ journal, stateDir, maxConcurrent, log: silentLogger(), killGraceMs: 300 });
  open.push({ runner, journal });
  return { stateDir, journal, runner };
}

function cmd(name: string, run: string, extra: Partial<DesiredCommand> = {}): DesiredCommand {
  return { id: `${name}@h1`, name, hash: 'h1', run, timeoutMs: 20_000, user: null, env: null, workdir: null, repeat: null, origin: 'override', ...extra };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const finished = (runner: CommandRunner, cmds: DesiredCommand[]) =>
  waitFor('commands to finish', () => {
    const r = runner.reports(cmds);
    return r.every((x) => !['running', 'pending'].includes(x.status)) && r;
  });

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!);
  } catch {
    return false;
  }
}

describe('command runner', () => {
  it('runs a command once, even when synced again and after a restart', async () => {
    const { stateDir, runner, journal } = await setup();
    const marker = join(stateDir, 'ran');
    const c = cmd('once', `echo ran >> ${marker}; echo hello; echo oops >&2`);
    runner.sync([c]);
    runner.sync([c]);
    const [r] = await finished(runner, [c]);
    assert.equal(r!.status, 'succeeded');
    assert.equal(r!.exitCode, 0);
    assert.match(r!.outputTail ?? '', /hello\n.*oops|oops\n.*hello/s);
    assert.ok(r!.startedAt && r!.finishedAt && typeof r!.durationMs === 'number');
    runner.sync([c]);
    await runner.close();
    await journal.close();
    const again = await setup(stateDir);
    again.runner.sync([c]);
    await again.runner.ready;
    await new Promise((res) => setTimeout(res, 200));
    assert.equal(again.runner.reports([c])[0]!.status, 'succeeded');
    assert.equal(readFileSync(marker, 'utf8'), 'ran\n');
  });

  it('reports failures with the exit code, and pending for what has not started', async () => {
    const { runner } = await setup();
    const bad = cmd('bad', 'echo broken; exit 3');
    assert.deepEqual(runner.reports([bad]).map((r) => r.status), ['pending']);
    runner.sync([bad]);
    const [r] = await finished(runner, [bad]);
    assert.deepEqual([r!.status, r!.exitCode], ['failed', 3]);
    assert.match(r!.outputTail!, /broken/);
  });

  it('a command that leaves `sleep 600 &` behind is timedOut and the sleep is gone', async () => {
    const { stateDir, runner } = await setup();
    const pidFile = join(stateDir, 'sleep.pid');
    const c = cmd('bg', `sleep 600 & echo $! > ${pidFile}; echo started`, { timeoutMs: 800 });
    runner.sync([c]);
    const [r] = await finished(runner, [c]);
    assert.equal(r!.status, 'timedOut');
    assert.match(r!.outputTail!, /started/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(alive(pid), false, `sleep ${pid} survived`);
  });

  it('runs a bounded number at once; sync returns while they run', async () => {
    const { stateDir, runner } = await setup(undefined, 2);
    const lock = join(stateDir, 'lock');
    mkdirSync(lock);
    const counts = join(stateDir, 'counts');
    const cmds = [1, 2, 3, 4, 5].map((i) => cmd(`c${i}`, `touch ${lock}/${i}; ls ${lock} | wc -l >> ${counts}; sleep 0.3; rm ${lock}/${i}`));
    runner.sync(cmds);
    const during = runner.reports(cmds).map((r) => r.status);
    assert.equal(during.filter((s) => s === 'running').length, 2);
    assert.equal(during.filter((s) => s === 'pending').length, 3);
    const rs = await finished(runner, cmds);
    assert.deepEqual(rs.map((r) => r.status), Array(5).fill('succeeded'));
    const seen = readFileSync(counts, 'utf8').trim().split('\n').map(Number);
    assert.equal(seen.length, 5);
    assert.ok(Math.max(...seen) <= 2, `up to ${Math.max(...seen)} ran at once`);
  });

  it('passes env and workdir; a missing workdir fails clearly', async () => {
    const { stateDir, runner } = await setup();
    const c = cmd('env', 'echo "$FOO $(pwd) $DROVER_COMMAND_ID"', { env: { FOO: 'bar' }, workdir: stateDir });
    const missing = cmd('nowhere', 'true', { workdir: join(stateDir, 'missing') });
    runner.sync([c, missing]);
    const [r, m] = await finished(runner, [c, missing]);
    assert.equal(r!.outputTail!.trim(), `bar ${stateDir} env@h1`);
    assert.equal(m!.status, 'failed');
    assert.match(m!.outputTail!, /working directory .*missing does not exist/);
  });

  it('runs as another user when root, and refuses an unknown user', { skip: process.getuid?.() !== 0 }, async () => {
    const { runner } = await setup();
    const c = cmd('as-nobody', 'id -un; echo "$HOME"', { user: 'nobody' });
    const unknown = cmd('as-ghost', 'true', { user: 'no_such_user_x' });
    runner.sync([c, unknown]);
    const [r, u] = await finished(runner, [c, unknown]);
    assert.equal(r!.status, 'succeeded', r!.outputTail ?? '');
    assert.match(r!.outputTail!, /^nobody\n/);
    assert.equal(u!.status, 'failed');
    assert.match(u!.outputTail!, /unknown user no_such_user_x/);
  });

  it('refuses another user clearly when the agent is not root', { skip: process.getuid?.() !== 0 }, async (t) => {
    // Outside `root` (mode 0700): the unprivileged child must reach it.
    const stateDir = mkdtempSync(join(tmpdir(), 'drover-runner-nobody-'));
    chmodSync(stateDir, 0o777);
    t.after(() => rmSync(stateDir, { recursive: true, force: true }));
    const c = cmd('as-root', 'touch should-not-exist', { user: 'root', workdir: stateDir });
    const mod = (p: string) => JSON.stringify(pathToFileURL(resolve(p)).href);
    const script = `
      import { openCommandJournal } from ${mod('control/command-journal.ts')};
      import { createCommandRunner } from ${mod('control/command-runner.ts')};
      import { silentLogger } from ${mod('lib/log.ts')};
      // Modules are loaded as root, then the process becomes nobody for good: the checkout may sit
      // where nobody cannot read it (a clone under a mode 0700 directory).
      process.setgroups([]); process.setgid(65534); process.setuid(65534);
      const journal = await openCommandJournal({ stateDir: ${JSON.stringify(stateDir)} });
      const runner = createCommandRunner({ journal, stateDir: ${JSON.stringify(stateDir)}, log: silentLogger() });
      runner.sync([${JSON.stringify(c)}]);
      for (let i = 0; i < 400; i++) {
        const [r] = runner.reports([${JSON.stringify(c)}]);
        if (r.status !== 'running' && r.status !== 'pending') { console.log(JSON.stringify(r)); break; }
        await new Promise((res) => setTimeout(res, 25));
      }
      await runner.close(); await journal.close();
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(), env: { ...process.env, HOME: stateDir }, encoding: 'utf8', timeout: 30_000,
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { status: string; outputTail: string };
    assert.equal(r.status, 'failed');
    assert.match(r.outputTail, /cannot run as user root: the agent runs as nobody, not root/);
    assert.equal(existsSync(join(stateDir, 'should-not-exist')), false);
  });

  it('repeats an `every` command on its own', async () => {
    const { stateDir, runner } = await setup();
    const marker = join(stateDir, 'ticks');
    const c = cmd('tick', `echo t >> ${marker}`, { repeat: { everyMs: 150 } });
    runner.sync([c]);
    await waitFor('three runs', () => existsSync(marker) && readFileSync(marker, 'utf8').length >= 6);
  });

  it('close() stops what is still running at its deadline and records it interrupted', async () => {
    const { runner, journal } = await setup();
    const c = cmd('long', 'sleep 600', { timeoutMs: 60_000 });
    runner.sync([c]);
    await waitFor('running', () => runner.reports([c])[0]!.status === 'running' && journal.lastRecord(c.id)?.event === 'started');
    await runner.close(200);
    assert.equal(journal.lastRecord(c.id)?.status, 'interrupted');
    runner.sync([cmd('after-close', 'true')]);
    assert.equal(runner.reports([]).length, 0);
  });

  it('after the agent is SIGKILLed: interrupted, not rerun, and the orphaned group is stopped', async () => {
    const stateDir = join(root, `case-${n++}`);
    mkdirSync(stateDir);
    const pidFile = join(stateDir, 'sleep.pid');
    const c = cmd('crash', `sleep 600 & echo $! > ${pidFile}; wait`, { timeoutMs: 60_000 });
    const mod = (p: string) => JSON.stringify(pathToFileURL(resolve(p)).href);
    const script = `
      import { openCommandJournal } from ${mod('control/command-journal.ts')};
      import { createCommandRunner } from ${mod('control/command-runner.ts')};
      import { silentLogger } from ${mod('lib/log.ts')};
      import { existsSync } from 'node:fs';
      const journal = await openCommandJournal({ stateDir: ${JSON.stringify(stateDir)} });
      const runner = createCommandRunner({ journal, stateDir: ${JSON.stringify(stateDir)}, log: silentLogger() });
      runner.sync([${JSON.stringify(c)}]);
      const t = setInterval(() => { if (existsSync(${JSON.stringify(pidFile)})) { clearInterval(t); process.stdout.write('running\\n'); } }, 20);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error('child did not start the command')), 30_000);
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('running') && (clearTimeout(t), res()));
        child.on('exit', (code) => rej(new Error(`child exited ${code}`)));
      });
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((res) => child.once('exit', res));
    const sleepPid = await waitFor('sleep pid', () => Number(readFileSync(pidFile, 'utf8')) || false);
    assert.equal(alive(sleepPid), true, 'the command outlives its agent (own process group)');

    const { runner, journal } = await setup(stateDir);
    await runner.ready;
    assert.equal(alive(sleepPid), false, 'the orphaned command was not stopped');
    assert.equal(journal.lastRecord(c.id)?.event, 'interrupted');
    rmSync(pidFile);
    runner.sync([c]);
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(existsSync(pidFile), false, 'an interrupted command ran again');
    assert.equal(runner.reports([c])[0]!.status, 'interrupted');
  });
});

// `drover demo` end to end: meta, three agents and the example packages converge on this machine
// (dev-003 enrolls with its own key: `enroll: auto`); then everything is stopped and cleaned up
// (with --exit-when-converged, or on Ctrl-C).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function runDemo(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, output: () => out, done };
}

/** Live processes whose command line or working directory mentions `dir`. */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* not ours */
      }
      if (cmd.includes(dir) || cwd.startsWith(dir)) found.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return found;
}

async function waitOutput(run: ReturnType<typeof runDemo>, re: RegExp, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(run.output())) {
    if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`no ${re} in:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const demoDir = (out: string) => /drover demo in (\S+)/.exec(out)?.[1] ?? '';

describe('drover demo', () => {
  it('converges with --exit-when-converged, then stops everything and cleans up', async () => {
    const run = runDemo(['--exit-when-converged', '--timeout', '120s']);
    const code = await run.done;
    const out = run.output();
    assert.equal(code, 0, out);
    assert.match(out, /All 3 devices are in sync; hello-service runs \(dev-001 pid \d+, dev-002 pid \d+, dev-003 pid \d+\)/, out);
    assert.match(out, /dev-002 +InSync .*hello-service 1\.1\.0 started/, `the canary pin:\n${out}`);
    assert.match(out, /agents: .*dev-003 \(role=db,site=bj; enrolls with its own key\)/, out);
    assert.match(out, /enrolled: dev-003 accepted by fleet \(enroll: auto\), key SHA256:[A-Za-z0-9+/]{43}/, `dev-003 enrolled (enroll: auto):\n${out}`);
    const dir = demoDir(out);
    assert.ok(dir);
    assert.equal(existsSync(dir), false, `temp folder removed:\n${out}`);
    assert.deepEqual(processesUnder(dir), [], `no process left behind:\n${out}`);
  });

  it('falls back to another artifact port when 7071 is taken, and Ctrl-C stops and cleans up', async () => {
    let blocker: Server | null = createServer((_, res) => res.end('busy'));
    await new Promise<void>((r) => {
      blocker!.once('error', () => {
        blocker = null; // someone else holds 7071: the fallback is exercised anyway
        r();
      });
      blocker!.listen(7071, '127.0.0.1', () => r());
    });
    const run = runDemo(['--timeout', '240s']);
    try {
      await waitOutput(run, /\nagents: /, 120_000);
      {
        const dir = demoDir(run.output());
        // Every token reaches meta, the agents and curl as a file: none is on a command line (ps) or printed.
        const tokens = ['agent-token', 'admin-token', 'enroll-token'].map((f) => readFileSync(join(dir, 'secrets', f), 'utf8').trim());
        const ps = execFileSync('ps', ['-eo', 'pid,args', '-ww'], { encoding: 'utf8' });
        const agents = processesUnder(dir).filter((p) => / agent /.test(p));
        assert.equal(agents.length, 3, processesUnder(dir).join('\n'));
        // dev-003 (`enroll: auto`) gets the enrollment token instead of the shared one
        for (const a of agents) assert.match(a, / --id dev-003 /.test(a) ? /--enroll-token-file \S+\/secrets\/enroll-token/ : /--token-file \S+\/secrets\/agent-token/);
        assert.ok(!agents.some((a) => / --id dev-003 .*--token-file /.test(a)), 'the enrolling agent has no shared token');
        for (const token of tokens) {
          assert.equal(token.length, 32);
          assert.ok(!ps.includes(token), 'a token is visible in ps');
          assert.ok(!run.output().includes(token), 'a token is printed');
        }
      }
      await waitOutput(run, /Ctrl-C stops everything/, 180_000);
      {
        // dev-003's own credential (0600 on the device) shows nowhere either
        const credential = readFileSync(join(demoDir(run.output()), 'devices/dev-003/identity/credential'), 'utf8').trim();
        assert.match(credential, /^dc1\.dev-003\./);
        assert.ok(!execFileSync('ps', ['-eo', 'pid,args', '-ww'], { encoding: 'utf8' }).includes(credential) && !run.output().includes(credential), 'the credential shows');
        assert.match(run.output(), /--enroll-token-file \S+\/secrets\/enroll-token\n/, 'how another device enrolls');
      }
      assert.doesNotMatch(/artifacts: .* on (\S+)/.exec(run.output())![1]!, /:7071\//);
      const dir = demoDir(run.output());
      assert.match(run.output(), /drover status --meta \S+ --admin-token-file \S+\/secrets\/admin-token/);
      assert.match(run.output(), new RegExp(`repository is ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/fleet`));
      run.child.kill('SIGINT');
      assert.equal(await run.done, 0, run.output());
      assert.match(run.output(), /stopped and cleaned up/);
      assert.equal(existsSync(dir), false);
      assert.deepEqual(processesUnder(dir), []);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
      await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    }
  });
});

// Benchmark: drover jump against OpenSSH's sshd as the jump host, in alternating rounds of the
// same copy: DROVER_BENCH_JUMP_MB (default 256) MB through `ssh -J` to the same real sshd device,
// with the same client and ciphers (DROVER_BENCH_JUMP_CIPHER, default: OpenSSH's first choice,
// chacha20-poly1305), and straight to the device for context. Prints MB/s per round, medians, the
// ratio drover/sshd, and the CPU time per MB of each jump host (after an unmeasured warm-up copy
// through each, DROVER_BENCH_JUMP_WARMUP_MB, default 128) (from /proc: the drover jump process;
// for sshd, every `sshd -i` and the children it waited for), the steady figure on a shared machine,
// with drover's user/system split, its main thread against its other threads and the load per round.
// Then 50 concurrent `ssh -J` sessions (DROVER_BENCH_JUMP_SESSIONS) through each jump host: time to
// finish all, CPU time per session, and the drover jump process's peak RSS (VmHWM). drover jump
// runs as its own process (`drover jump`), with the node flags of DROVER_BENCH_JUMP_NODE_FLAGS
// (default: --no-memory-reducer, as the example systemd unit starts it; '' for none);
// DROVER_BENCH_JUMP_PROF=DIR writes its CPU profile there.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { currentTotp } from '../../jump/totp.js';
import { startOpensshSshd } from '../../test/helpers/openssh-sshd.js';
import { sshEnv, startTestJump, writeSshFiles, type TestJump } from '../../test/jump/harness.js';
import { startJumpProcess } from '../../test/jump/jump-process.js';
import { cpuMicros, cpuSplitMicros, peakRssMB, resetPeakRss, rssMB, threadCpuMicros } from './lib/proc-stats.js';

function payload(mb: number): string {
  const path = join(tmpdir(), `drover-bench-jump-${mb}M.bin`);
  if (!existsSync(path) || statSync(path).size !== mb * 1024 * 1024) {
    execFileSync('dd', ['if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${mb}`, 'status=none']);
  }
  return path;
}

function ssh(args: string[], env: NodeJS.ProcessEnv, input: number | 'ignore' = 'ignore'): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('ssh', args, { env, stdio: [input, 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Number(process.hrtime.bigint() - t0) / 1e9);
      else reject(new Error(`ssh ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

async function copy(args: string[], env: NodeJS.ProcessEnv, file: string): Promise<number> {
  const fd = openSync(file, 'r');
  try {
    return await ssh(args, env, fd);
  } finally {
    closeSync(fd);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export async function run(): Promise<void> {
  const mb = Number(process.env.DROVER_BENCH_JUMP_MB ?? 256);
  const rounds = Number(process.env.DROVER_BENCH_JUMP_ROUNDS ?? 3);
  const sessions = Number(process.env.DROVER_BENCH_JUMP_SESSIONS ?? 50);
  const cipher = process.env.DROVER_BENCH_JUMP_CIPHER ?? 'chacha20-poly1305@openssh.com';
  const warmMb = Number(process.env.DROVER_BENCH_JUMP_WARMUP_MB ?? 128);
  const file = payload(mb);
  const names = Array.from({ length: Math.max(rounds, sessions) }, (_, i) => `bench${i}`);
  const t: TestJump = await startTestJump({ users: [...names, 'benchwarm'].map((name) => ({ name, password: `${name}-password`, access: [{ select: { ids: ['device-17'] }, ports: [22] }] })), config: { record: false } });
  await t.jump.close();
  const key = join(t.dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = readFileSync(`${key}.pub`, 'utf8').trim();
  const device = await startOpensshSshd({ authorizedKeys: [pub] });
  const sshdJump = await startOpensshSshd({ authorizedKeys: [pub], extraConfig: 'MaxStartups 1000\n', measureCpu: true });
  writeFileSync(t.config.devicesFile!, stringify({ 'device-17': `127.0.0.1:${device.port}` }));
  // 50 logins at once from one address: raise the per-source startup limits for this run.
  // DROVER_BENCH_JUMP_PROF=DIR: the drover jump process writes a CPU profile there when it exits.
  const prof = process.env.DROVER_BENCH_JUMP_PROF;
  // Node flags of the jump process: as examples/systemd/drover-jump.service starts it.
  const nodeFlags = (process.env.DROVER_BENCH_JUMP_NODE_FLAGS ?? '--no-memory-reducer').split(' ').filter(Boolean);
  const jump = await startJumpProcess(t, ['--no-record', '--per-source-max-startups', '1000', '--max-startups', '1000:30:2000'], {}, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), ...nodeFlags]);
  try {
    const common = `  User ${device.user}\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  PreferredAuthentications publickey\n  UserKnownHostsFile /dev/null\n  StrictHostKeyChecking no\n  LogLevel ERROR\n`;
    writeSshFiles(
      t,
      `Host device-17\n${common}Host device-direct device-via-sshd\n  HostName 127.0.0.1\n  Port ${device.port}\n${common}Host sshd-jump\n  HostName 127.0.0.1\n  Port ${sshdJump.port}\n${common}Host *\n  Ciphers ${cipher}\n`,
    );
    const env = async (name: string, offset = 0) => sshEnv(t, { password: `${name}-password`, code: await currentTotp(t.secrets[name]!, Date.now() + offset) });
    const base = ['-F', t.sshConfig];
    const rows: Record<'drover' | 'sshd' | 'direct', number[]> = { drover: [], sshd: [], direct: [] };
    const cpu: Record<'drover' | 'sshd', number[]> = { drover: [], sshd: [] };
    /** CPU time (µs) the jump host spent while `fn` ran: the drover process, or the finished sshd connections. */
    const droverCpuOf = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      const cpu0 = cpuMicros(jump.child.pid!);
      const v = await fn();
      return [v, cpuMicros(jump.child.pid!) - cpu0];
    };
    const sshdCpuOf = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
      await sshdJump.settled();
      const cpu0 = sshdJump.cpuMicros();
      const v = await fn();
      await sshdJump.settled();
      return [v, sshdJump.cpuMicros() - cpu0];
    };
    const msPerMB = (us: number): string => (us / 1000 / mb).toFixed(2);
    console.log(`jump: ${mb} MB through ssh -J to a real sshd device (cat > /dev/null), cipher ${cipher}, ${rounds} alternating rounds`);
    // A bastion runs for days: one copy through each jump host first, not measured, so drover's
    // figures are of warm code and heap (a fresh process spent 30-80 % more CPU per MB on its first 128-256 MB).
    if (warmMb > 0) {
      const warm = payload(warmMb);
      await copy([...base, '-J', 'benchwarm@jump', 'device-17', 'cat > /dev/null'], await env('benchwarm'), warm);
      await copy([...base, '-J', 'sshd-jump', 'device-via-sshd', 'cat > /dev/null'], await env('benchwarm'), warm);
      console.log(`  warm-up: ${warmMb} MB through each jump host (DROVER_BENCH_JUMP_WARMUP_MB), not measured`);
    }
    const pid = jump.child.pid!;
    console.log(`  drover jump pid ${pid} (node ${nodeFlags.join(' ') || 'without flags'}), load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let r = 0; r < rounds; r++) {
      const split0 = cpuSplitMicros(pid);
      const threads0 = threadCpuMicros(pid);
      const [dt, dc] = await droverCpuOf(async () => copy([...base, '-J', `${names[r]}@jump`, 'device-17', 'cat > /dev/null'], await env(names[r]!), file));
      const split1 = cpuSplitMicros(pid);
      const threads = [...threadCpuMicros(pid)].map(([name, us]) => [name, us - (threads0.get(name) ?? 0)] as const).filter(([, us]) => us > 0);
      const main = threads.find(([name]) => name === 'main')?.[1] ?? 0;
      const others = threads.filter(([name]) => name !== 'main').map(([name, us]) => `${name} ${msPerMB(us)}`).join(', ');
      const [st, sc] = await sshdCpuOf(async () => copy([...base, '-J', 'sshd-jump', 'device-via-sshd', 'cat > /dev/null'], await env(names[r]!), file));
      rows.drover.push(mb / dt);
      rows.sshd.push(mb / st);
      cpu.drover.push(dc);
      cpu.sshd.push(sc);
      rows.direct.push(mb / (await copy([...base, 'device-direct', 'cat > /dev/null'], await env(names[r]!), file)));
      console.log(`  round ${r + 1}: drover jump ${rows.drover[r]!.toFixed(1)} MB/s ${msPerMB(dc)} ms CPU/MB, OpenSSH sshd as jump ${rows.sshd[r]!.toFixed(1)} MB/s ${msPerMB(sc)} ms CPU/MB, direct ${rows.direct[r]!.toFixed(1)} MB/s; drover user ${msPerMB(split1.user - split0.user)} + system ${msPerMB(split1.system - split0.system)} ms/MB (main thread ${msPerMB(main)}; ${others || 'no other thread'}); load ${loadavg()[0]!.toFixed(2)}`);
    }
    const d = median(rows.drover);
    const s = median(rows.sshd);
    console.log(`  median: drover jump ${d.toFixed(1)} MB/s, sshd as jump ${s.toFixed(1)} MB/s, direct ${median(rows.direct).toFixed(1)} MB/s; drover / sshd = ${(d / s).toFixed(2)}`);
    const dCpu = median(cpu.drover);
    const sCpu = median(cpu.sshd);
    console.log(`  CPU per MB (median): drover jump ${msPerMB(dCpu)} ms, sshd as jump ${msPerMB(sCpu)} ms (sshd and its children); sshd / drover = ${(sCpu / dCpu).toFixed(2)} (the throughput ratio a CPU-bound jump host would see)`);

    // Concurrent sessions: each a login (password + TOTP) and `true` on the device through the jump.
    const many = async (target: (i: number) => string[], envs: NodeJS.ProcessEnv[]): Promise<number> => {
      const t0 = Date.now();
      await Promise.all(envs.map((e, i) => ssh([...base, ...target(i), 'true'], e)));
      return (Date.now() - t0) / 1000;
    };
    const envs = await Promise.all(names.slice(0, sessions).map((n) => env(n, 30_000)));
    const rss0 = rssMB(jump.child.pid!);
    const reset = resetPeakRss(jump.child.pid!);
    const [droverTime, droverManyCpu] = await droverCpuOf(() => many((i) => ['-J', `${names[i]}@jump`, 'device-17'], envs));
    const [sshdTime, sshdManyCpu] = await sshdCpuOf(() => many(() => ['-J', 'sshd-jump', 'device-via-sshd'], envs));
    const perSession = (us: number): string => (us / 1000 / sessions).toFixed(1);
    console.log(`jump: ${sessions} concurrent ssh -J sessions (login + \`true\` on the device)`);
    console.log(`  drover jump ${droverTime.toFixed(2)} s, ${perSession(droverManyCpu)} ms CPU per session (password check with scrypt + TOTP); OpenSSH sshd as jump ${sshdTime.toFixed(2)} s, ${perSession(sshdManyCpu)} ms CPU per session (public key)`);
    console.log(`  drover jump peak RSS ${peakRssMB(jump.child.pid!).toFixed(0)} MB ${reset ? 'during the sessions' : 'since it started'} (RSS before the sessions: ${rss0.toFixed(0)} MB)`);
  } finally {
    jump.child.kill('SIGTERM');
    await jump.exited;
    await device.close();
    await sshdJump.close();
    const { rmSync } = await import('node:fs');
    rmSync(t.dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();

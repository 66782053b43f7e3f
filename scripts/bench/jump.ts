// Benchmark: throughput of a large file copied through `ssh -J` (OpenSSH client -> jump -> device
// SSH server), side by side in one run with the same copy made straight to the device SSH server.
// Prints MB/s of both and the ratio. Size: DROVER_BENCH_JUMP_MB (default 256; the file is made from
// /dev/urandom once and kept in the temp folder).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { currentTotp } from '../../jump/totp.js';
import { startDeviceSshd } from '../../test/helpers/device-sshd.js';
import { sshEnv, startTestJump, writeSshFiles } from '../../test/jump/harness.js';

function payload(mb: number): string {
  const path = join(tmpdir(), `drover-bench-jump-${mb}M.bin`);
  if (!existsSync(path) || statSync(path).size !== mb * 1024 * 1024) {
    execFileSync('dd', ['if=/dev/urandom', `of=${path}`, 'bs=1M', `count=${mb}`, 'status=none']);
  }
  return path;
}

function copy(args: string[], env: NodeJS.ProcessEnv, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const input = openSync(file, 'r');
    const t0 = process.hrtime.bigint();
    const child = spawn('ssh', args, { env, stdio: [input, 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      closeSync(input);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(seconds);
      else reject(new Error(`ssh ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

export async function run(): Promise<void> {
  const mb = Number(process.env.DROVER_BENCH_JUMP_MB ?? 256);
  const file = payload(mb);
  const users = ['bench1', 'bench2'].map((name) => ({ name, password: `${name}-password`, access: [{ select: { ids: ['device-17'] }, ports: [22] }] }));
  const t = await startTestJump({ users, config: { record: false } });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(t.dir, 'id_ed25519')]);
  const device = await startDeviceSshd({ user: 'bench', authorizedKeys: [readFileSync(join(t.dir, 'id_ed25519.pub'), 'utf8').trim()] });
  try {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(t.config.devicesFile!, `device-17: "127.0.0.1:${device.port}"\n`);
    await t.restart();
    const deviceBlock = (name: string, extra: string) => `Host ${name}
  User bench
  IdentityFile ${join(t.dir, 'id_ed25519')}
  IdentitiesOnly yes
  PreferredAuthentications publickey
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
${extra}`;
    writeSshFiles(t, deviceBlock('device-17', '') + deviceBlock('device-direct', `  HostName 127.0.0.1\n  Port ${device.port}\n`));
    const rows: { path: string; seconds: number }[] = [];
    for (const user of users) {
      const env = sshEnv(t, { password: user.password, code: await currentTotp(t.secrets[user.name]!) });
      rows.push({ path: 'direct', seconds: await copy(['-F', t.sshConfig, 'device-direct', 'cat > /dev/null'], env, file) });
      rows.push({ path: 'via jump (ssh -J)', seconds: await copy(['-F', t.sshConfig, '-J', `${user.name}@jump`, 'device-17', 'cat > /dev/null'], env, file) });
    }
    const best = (p: string): number => Math.min(...rows.filter((r) => r.path === p).map((r) => r.seconds));
    const direct = mb / best('direct');
    const jumped = mb / best('via jump (ssh -J)');
    console.log(`jump: ${mb} MB copied with ssh (cat > /dev/null on the device SSH server), best of ${users.length} runs each`);
    for (const r of rows) console.log(`  ${r.path.padEnd(20)} ${(mb / r.seconds).toFixed(1).padStart(7)} MB/s  (${r.seconds.toFixed(2)} s)`);
    console.log(`  direct ${direct.toFixed(1)} MB/s, via jump ${jumped.toFixed(1)} MB/s, ratio via jump / direct = ${(jumped / direct).toFixed(2)}`);
  } finally {
    await device.close();
    await t.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();

// A real OpenSSH sshd on 127.0.0.1:0 for tests and benchmarks: a node listener on port 0 hands each
// accepted socket to `sshd -i` (inetd mode) as its stdin/stdout, so every connection is served by
// the real daemon with no fixed port. Public-key login for the user running the tests, TCP
// forwarding allowed (so it can also be the jump host in `ssh -J` comparisons). With `measureCpu`,
// each `sshd -i` runs under a shell that, once sshd and the children it waited for have exited,
// hands over their CPU time (its own cutime + cstime from /proc), for benchmarks.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = ['/usr/sbin/sshd', '/usr/local/sbin/sshd'].find((p) => existsSync(p));

export interface OpensshSshd {
  port: number;
  /** The login name (the user running the tests). */
  user: string;
  /** With `measureCpu`: CPU time (user + system, µs) of every finished connection's sshd and its children. */
  cpuMicros(): number;
  /** Resolves when no connection is being served (its CPU time is then counted). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const TICKS_PER_SECOND = 100; // USER_HZ
/** Runs "$0" "$@", then writes the shell's /proc stat line (its children's CPU time) to fd 3. */
const CPU_WRAPPER = '"$0" "$@" 3>&-; s=$?; cat /proc/$$/stat >&3; exit $s';

export async function startOpensshSshd(opts: { authorizedKeys: string[]; extraConfig?: string; measureCpu?: boolean }): Promise<OpensshSshd> {
  if (!SSHD_PATH) throw new Error('sshd not found: install openssh-server');
  const dir = mkdtempSync(join(tmpdir(), 'openssh-sshd-'));
  const hostKey = join(dir, 'host_ed25519_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  writeFileSync(join(dir, 'authorized_keys'), opts.authorizedKeys.join('\n') + '\n');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    `HostKey ${hostKey}
AuthorizedKeysFile ${join(dir, 'authorized_keys')}
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowTcpForwarding yes
PidFile none
LogLevel ERROR
${opts.extraConfig ?? ''}`,
  );
  // sshd started as root checks its privilege separation directory (Debian makes it at boot).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  let cpu = 0;
  const waiters: (() => void)[] = [];
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const args = ['-i', '-e', '-f', config];
    const child = opts.measureCpu
      ? spawn('/bin/sh', ['-c', CPU_WRAPPER, SSHD_PATH, ...args], { stdio: [socket, socket, 'ignore', 'pipe'] })
      : spawn(SSHD_PATH, args, { stdio: [socket, socket, 'ignore'] });
    let stat = '';
    child.stdio[3]?.on('data', (d: Buffer) => (stat += d.toString()));
    children.add(child);
    sockets.add(socket);
    child.on('error', () => socket.destroy());
    child.on('close', () => {
      // fields after the command name: cutime and cstime are the 14th and 15th (from `state`)
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest.length > 14) cpu += ((Number(rest[13]) + Number(rest[14])) * 1e6) / TICKS_PER_SECOND;
      children.delete(child);
      sockets.delete(socket);
      socket.destroy();
      if (children.size === 0) for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    user: userInfo().username,
    cpuMicros: () => cpu,
    settled: () => (children.size === 0 ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    async close() {
      for (const c of children) c.kill('SIGTERM');
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

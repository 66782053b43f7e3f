// A real OpenSSH sshd on 127.0.0.1:0 for tests and benchmarks: a node listener on port 0 hands each
// accepted socket to `sshd -i` (inetd mode) as its stdin/stdout, so every connection is served by
// the real daemon with no fixed port. Public-key login for the user running the tests, TCP
// forwarding allowed (so it can also be the jump host in `ssh -J` comparisons).
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
  close(): Promise<void>;
}

export async function startOpensshSshd(opts: { authorizedKeys: string[]; extraConfig?: string }): Promise<OpensshSshd> {
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
  const server = createServer({ pauseOnConnect: true }, (socket) => {
    const child = spawn(SSHD_PATH, ['-i', '-e', '-f', config], { stdio: [socket, socket, 'ignore'] });
    children.add(child);
    sockets.add(socket);
    child.on('error', () => socket.destroy());
    child.on('exit', () => {
      children.delete(child);
      sockets.delete(socket);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    user: userInfo().username,
    async close() {
      for (const c of children) c.kill('SIGTERM');
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A small device SSH server on loopback (ssh2 Server): password or public-key login, `exec`
// through /bin/sh (on a node-pty terminal when a pty was asked for), and a pty shell that follows
// window-change. The README demo runs one as its demo device; tests use it as the device behind jump.
import { spawn as spawnChild } from 'node:child_process';
import { execaSync } from 'execa';
import { timingSafeEqual } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn as spawnPty, type IPty } from 'node-pty';
import ssh2, { type Connection, type ParsedKey, type ServerChannel } from 'ssh2';

const { Server, utils } = ssh2;

export interface DeviceSshd {
  port: number;
  hostKeyPath: string;
  /** Commands run, in order. */
  commands: string[];
  close(): Promise<void>;
}

export interface DeviceSshdOptions {
  user: string;
  password?: string;
  /** authorized public keys ("ssh-ed25519 AAAA…" lines). */
  authorizedKeys?: string[];
  shell?: string;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startDeviceSshd(opts: DeviceSshdOptions): Promise<DeviceSshd> {
  const dir = mkdtempSync(join(tmpdir(), 'device-sshd-'));
  const hostKeyPath = join(dir, 'host_key');
  execaSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKeyPath]);
  const allowed = (opts.authorizedKeys ?? []).map((line) => utils.parseKey(line)).filter((k): k is ParsedKey => !(k instanceof Error) && !Array.isArray(k));
  const commands: string[] = [];
  const ptys = new Set<IPty>();
  const clients = new Set<Connection>();
  const server = new Server({ hostKeys: [readFileSync(hostKeyPath)] }, (client) => {
    client.on('error', () => undefined);
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.username !== opts.user) return ctx.reject();
      if (ctx.method === 'password' && opts.password && same(ctx.password, opts.password)) return ctx.accept();
      if (ctx.method === 'publickey') {
        const key = allowed.find((k) => k.getPublicSSH().equals(ctx.key.data));
        if (key && (!ctx.signature || key.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true)) return ctx.accept();
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        let pty: { cols: number; rows: number; term: string } | undefined;
        let term: IPty | undefined;
        session.on('pty', (ok, _no, info) => {
          pty = { cols: info.cols || 80, rows: info.rows || 24, term: info.term || 'xterm' };
          ok?.();
        });
        session.on('window-change', (ok, _no, info) => {
          if (pty) pty = { ...pty, cols: info.cols, rows: info.rows };
          term?.resize(info.cols, info.rows);
          ok?.();
        });
        session.on('env', (ok) => ok?.());
        const runPty = (channel: ServerChannel, args: string[]): void => {
          term = spawnPty(opts.shell ?? '/bin/sh', args, { name: pty!.term, cols: pty!.cols, rows: pty!.rows, cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TERM: pty!.term, HOME: dir, PS1: '$ ' } });
          ptys.add(term);
          const t = term;
          t.onData((d) => channel.write(d));
          channel.on('data', (d: Buffer) => t.write(d.toString('utf8')));
          t.onExit(({ exitCode }) => {
            ptys.delete(t);
            channel.exit(exitCode);
            channel.end();
          });
        };
        session.on('shell', (ok) => {
          const channel = ok();
          if (pty) return runPty(channel, []);
          channel.stderr.write('no pty\n');
          channel.exit(1);
          channel.end();
        });
        session.on('exec', (ok, _no, info) => {
          commands.push(info.command);
          const channel = ok();
          if (pty) return runPty(channel, ['-c', info.command]);
          const child = spawnChild('/bin/sh', ['-c', info.command], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
          channel.pipe(child.stdin);
          child.stdout.pipe(channel, { end: false });
          child.stderr.pipe(channel.stderr, { end: false });
          child.stdin.on('error', () => undefined);
          child.on('close', (code) => {
            channel.exit(code ?? 1);
            channel.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hostKeyPath,
    commands,
    close: async () => {
      for (const p of ptys) p.kill();
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A shell on the jump host itself (node-pty), for users whose rules say `shell: true`:
// always the configured shell, as the configured local user when jump runs as root, with a
// small clean environment.
import { userInfo } from 'node:os';
import { spawn } from 'node-pty';
import type { ServerChannel } from 'ssh2';
import { lookupAccount } from '../lib/user-account.js';
import type { CastRecorder } from './asciicast.js';
import type { TermState } from './term.js';

export interface HostShellOptions {
  channel: ServerChannel;
  term: TermState;
  shell: string;
  /** Local account to run as; undefined: the account jump runs as. */
  shellUser?: string;
  recorder?: CastRecorder;
  touch: () => void;
  onOpen?: (close: () => void) => void;
}

async function account(name: string | undefined): Promise<{ uid?: number; gid?: number; home: string; user: string }> {
  const me = userInfo();
  if (!name || name === me.username) return { home: me.homedir, user: me.username };
  if (process.getuid?.() !== 0) throw new Error(`jump must run as root to start shells as ${name}`);
  const a = await lookupAccount(name);
  return { uid: a.uid, gid: a.gid, home: a.home ?? '/', user: name };
}

export async function runHostShell(opts: HostShellOptions): Promise<{ exitCode?: number; error?: string }> {
  let acct;
  try {
    acct = await account(opts.shellUser);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { channel, term } = opts;
  const pty = spawn(opts.shell, ['-l'], {
    name: term.term,
    cols: term.cols,
    rows: term.rows,
    cwd: acct.home,
    env: { HOME: acct.home, USER: acct.user, LOGNAME: acct.user, SHELL: opts.shell, TERM: term.term, PATH: '/usr/local/bin:/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8' },
    ...(acct.uid !== undefined ? { uid: acct.uid, gid: acct.gid } : {}),
  });
  const onInput = (d: Buffer): void => {
    opts.touch();
    pty.write(d.toString('utf8'));
  };
  const onResize = (cols: number, rows: number): void => {
    pty.resize(cols, rows);
    opts.recorder?.resize(cols, rows);
  };
  channel.on('data', onInput);
  channel.resume();
  term.on('resize', onResize);
  opts.onOpen?.(() => pty.kill('SIGHUP'));
  pty.onData((d) => {
    opts.touch();
    opts.recorder?.output(d);
    channel.write(d);
  });
  const exitCode = await new Promise<number>((resolve) => pty.onExit(({ exitCode: code }) => resolve(code)));
  channel.off('data', onInput);
  channel.pause();
  term.off('resize', onResize);
  return { exitCode };
}

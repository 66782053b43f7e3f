// An SSH session from the jump to a device (ssh2 Client), attached to the user's channel:
// a shell on a pty sized like the client's window (following resizes), or one command.
// Authentication: the user's forwarded agent when there is one, else the device password
// asked through the session.
import ssh2, { type Client, type ClientChannel, type ConnectConfig, type ServerChannel } from 'ssh2';
import { errorMessage } from '../lib/errors.js';
import type { CastRecorder } from './asciicast.js';
import type { DeviceKeys } from './device-keys.js';
import type { DeviceAddress } from './devices.js';
import type { TermState } from './term.js';

export interface DeviceSessionOptions {
  channel: ServerChannel;
  term: TermState;
  device: DeviceAddress;
  username: string;
  agent?: ConnectConfig['agent'];
  askPassword: (prompt: string) => Promise<string | null>;
  keys: DeviceKeys;
  recorder?: CastRecorder;
  command?: string;
  touch: () => void;
  /** Called with a function that ends the device session (drain, shutdown). */
  onOpen?: (close: () => void) => void;
}

export interface DeviceSessionResult {
  exitCode?: number;
  error?: string;
  bytesOut: number;
}

function connectDevice(opts: DeviceSessionOptions, auth: Pick<ConnectConfig, 'agent' | 'password'>): Promise<Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c));
    c.once('error', (err) => reject(err));
    c.on('keyboard-interactive', (_n, _i, _l, prompts, finish) => finish(prompts.map(() => auth.password ?? '')));
    c.connect({
      host: opts.device.host,
      port: opts.device.sshPort,
      username: opts.username,
      ...auth,
      tryKeyboard: auth.password !== undefined,
      readyTimeout: 20_000,
      keepaliveInterval: 30_000,
      hostVerifier: (key: Buffer) => opts.keys.check(opts.device.id, key),
    });
  });
}

async function login(opts: DeviceSessionOptions): Promise<Client | string> {
  if (opts.agent) {
    try {
      return await connectDevice(opts, { agent: opts.agent });
    } catch (err) {
      if ((err as { level?: string }).level !== 'client-authentication') return errorMessage(err);
    }
  }
  for (let i = 0; i < 3; i++) {
    const password = await opts.askPassword(`${opts.username}@${opts.device.id}'s password: `);
    if (password === null) return 'cancelled';
    try {
      return await connectDevice(opts, { password });
    } catch (err) {
      if ((err as { level?: string }).level !== 'client-authentication') return errorMessage(err);
      opts.channel.write('Permission denied, please try again.\r\n');
    }
  }
  return 'authentication failed';
}

export async function runDeviceSession(opts: DeviceSessionOptions): Promise<DeviceSessionResult> {
  const c = await login(opts);
  if (typeof c === 'string') return { error: c, bytesOut: 0 };
  const { channel, term } = opts;
  const pty = term.hasPty ? { term: term.term, cols: term.cols, rows: term.rows, width: 0, height: 0 } : undefined;
  let stream: ClientChannel;
  try {
    stream = await new Promise<ClientChannel>((resolve, reject) => {
      const cb = (err: Error | undefined, s: ClientChannel): void => (err ? reject(err) : resolve(s));
      if (opts.command !== undefined) c.exec(opts.command, pty ? { pty } : {}, cb);
      else c.shell(pty ?? false, cb);
    });
  } catch (err) {
    c.end();
    return { error: errorMessage(err), bytesOut: 0 };
  }
  let bytesOut = 0;
  let exitCode: number | undefined;
  const onInput = (d: Buffer): void => {
    opts.touch();
    stream.write(d);
  };
  const onResize = (cols: number, rows: number): void => {
    stream.setWindow(rows, cols, 0, 0);
    opts.recorder?.resize(cols, rows);
  };
  const onInputEnd = (): void => {
    stream.end();
  };
  channel.on('data', onInput);
  channel.resume();
  channel.once('end', onInputEnd);
  term.on('resize', onResize);
  opts.onOpen?.(() => c.end());
  stream.on('data', (d: Buffer) => {
    bytesOut += d.length;
    opts.touch();
    opts.recorder?.output(d);
    channel.write(d);
  });
  stream.stderr.on('data', (d: Buffer) => {
    opts.recorder?.output(d);
    channel.stderr.write(d);
  });
  stream.on('exit', (code: number | null) => {
    if (typeof code === 'number') exitCode = code;
  });
  await new Promise<void>((resolve) => {
    stream.once('close', () => resolve());
    c.once('close', () => resolve());
  });
  channel.off('data', onInput);
  channel.pause();
  channel.off('end', onInputEnd);
  term.off('resize', onResize);
  c.end();
  return { exitCode, bytesOut };
}

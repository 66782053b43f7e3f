// A session channel after login: `shell` shows the device menu; `exec DEVICE [COMMAND]` goes
// straight to a device (a shell on it, or one command). pty, window-change and agent
// forwarding requests are remembered for the device session.
import type { Connection, ServerChannel, Session } from 'ssh2';
import type { UserSpec } from '../specs/schema/user.js';
import { mayReach } from './access.js';
import type { ActivityHandle, ActivityKind } from './activity.js';
import type { AuditLog } from './audit.js';
import type { DeviceKeys } from './device-keys.js';
import { runDeviceSession } from './device-session.js';
import type { DeviceResolver } from './devices.js';
import { forwardedAgent } from './forwarded-agent.js';
import { readLine } from './line-reader.js';
import { runMenu } from './menu.js';
import { startRecording } from './recordings.js';
import { TermState } from './term.js';

export interface SessionContext {
  client: Connection;
  user: UserSpec;
  from: string;
  /** Shows what the session does in the status report until `end()`. */
  activity: (a: { kind: ActivityKind; device: string | null; port?: number }) => ActivityHandle;
  devices: DeviceResolver;
  audit: AuditLog;
  keys: DeviceKeys;
  dataDir: string;
  record: boolean;
  name: string;
  shellCommand: string;
  shellUser?: string;
  touch: () => void;
  track: (closer: () => void) => () => void;
  /** Registers an interactive or exec channel (for last messages on shutdown or revocation). */
  onChannel?: (channel: ServerChannel) => void;
}

export interface SessionState {
  term: TermState;
  agent: boolean;
}

export function handleSession(ctx: SessionContext, session: Session): void {
  const state: SessionState = { term: new TermState(), agent: false };
  session.on('pty', (accept, _reject, info) => {
    state.term.setPty(info);
    accept?.();
  });
  session.on('window-change', (accept, _reject, info) => {
    state.term.resize(info.cols, info.rows);
    accept?.();
  });
  session.on('auth-agent', (accept) => {
    state.agent = true;
    accept?.();
  });
  session.on('env', (accept) => accept?.());
  session.on('x11', (_accept, reject) => reject?.());
  session.on('subsystem', (_accept, reject) => reject?.());
  session.on('sftp', (_accept, reject) => reject?.());
  session.on('shell', (accept) => {
    const channel = accept();
    ctx.onChannel?.(channel);
    void runMenu(ctx, state, channel).finally(() => endChannel(channel, 0));
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    ctx.onChannel?.(channel);
    void execOnDevice(ctx, state, channel, info.command).then((code) => endChannel(channel, code));
  });
}

export function endChannel(channel: ServerChannel, code: number): void {
  try {
    channel.exit(code);
    channel.end();
  } catch {
    /* already closed */
  }
}

/** `ssh -t alice@jump dev-001 [COMMAND]`: a device shell or one command, after the same access check. */
async function execOnDevice(ctx: SessionContext, state: SessionState, channel: ServerChannel, line: string): Promise<number> {
  const m = /^\s*(\S+)\s*([\s\S]*)$/.exec(line);
  const deviceId = m?.[1] ?? '';
  const command = m?.[2]?.trim() || undefined;
  const started = Date.now();
  const device = await ctx.devices.resolve(deviceId).catch(() => undefined);
  if (!device || !mayReach(ctx.user.access, { id: device.id, labels: device.labels, port: 22 })) {
    ctx.audit.write({ event: 'tunnel-refused', user: ctx.user.name, from: ctx.from, device: deviceId, port: 22, reason: device ? 'not allowed for this user' : 'unknown device' });
    channel.stderr.write(`${ctx.name}: ${deviceId}: administratively prohibited (unknown device or not allowed)\r\n`);
    return 1;
  }
  const activity = ctx.activity({ kind: 'device', device: device.id, port: 22 });
  try {
    return await connectAndAudit(ctx, state, channel, device, command, started);
  } finally {
    activity.end();
  }
}

export async function connectAndAudit(ctx: SessionContext, state: SessionState, channel: ServerChannel, device: NonNullable<Awaited<ReturnType<DeviceResolver['resolve']>>>, command: string | undefined, started = Date.now()): Promise<number> {
  const interactive = command === undefined;
  const recorder = interactive && ctx.record ? startRecording(ctx.dataDir, ctx.user.name, device.id, state.term) : undefined;
  let untrack = (): void => undefined;
  const result = await runDeviceSession({
    channel,
    term: state.term,
    device,
    username: ctx.user.deviceUser ?? ctx.user.name,
    agent: state.agent ? forwardedAgent(ctx.client) : undefined,
    askPassword: async (prompt) => {
      channel.write(prompt);
      return readLine(channel, { echo: false, pty: state.term.hasPty });
    },
    keys: ctx.keys,
    recorder,
    command,
    touch: ctx.touch,
    onOpen: (close) => {
      untrack = ctx.track(close);
    },
  });
  untrack();
  await recorder?.close();
  if (result.error) channel.stderr.write(`${ctx.name}: ${device.id}: ${result.error}\r\n`);
  ctx.audit.write({
    event: 'session',
    user: ctx.user.name,
    from: ctx.from,
    kind: interactive ? 'device' : 'exec',
    device: device.id,
    ...(recorder ? { recording: recorder.path } : {}),
    durationMs: Date.now() - started,
    bytesOut: result.bytesOut,
    ...(result.error ? { error: result.error } : {}),
  });
  return result.exitCode ?? (result.error ? 255 : 0);
}

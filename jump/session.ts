// A session channel after login: `shell` shows the device menu; `exec DEVICE [COMMAND]` goes
// straight to a device (a shell on it, or one command). pty, window-change and agent
// forwarding requests are remembered for the device session.
import type { ServerChannel, Session } from 'ssh2';
import { mayReach } from './access.js';
import { connectAndAudit, type SessionContext, type SessionState } from './connect-and-audit.js';
import { runMenu } from './menu.js';
import { TermState } from './term.js';

export type { SessionContext, SessionState } from './connect-and-audit.js';

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

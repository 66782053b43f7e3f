// A device session once access is granted (from the menu or `ssh jump DEVICE`): connects,
// records an interactive session, and writes the audit line. Also the context every session
// handler gets from the server.
import type { ServerChannel } from 'ssh2';
import type { AuditLog } from './audit.js';
import type { DeviceKeys } from './device-keys.js';
import { runDeviceSession } from './device-session.js';
import type { DeviceResolver } from './devices.js';
import { forwardedAgent } from './forwarded-agent.js';
import { readLine } from './line-reader.js';
import { startRecording } from './recordings.js';
import type { TermState } from './term.js';
import type { TunnelContext } from './tunnel.js';

/** How the server runs sessions (from jump's configuration), the same for every connection. */
export interface SessionSettings {
  devices: DeviceResolver;
  audit: AuditLog;
  keys: DeviceKeys;
  dataDir: string;
  record: boolean;
  name: string;
  shellCommand: string;
  shellUser?: string;
}

export interface SessionContext extends TunnelContext, SessionSettings {
  /** Registers an interactive or exec channel (for last messages on shutdown or revocation). */
  onChannel?: (channel: ServerChannel) => void;
}

export interface SessionState {
  term: TermState;
  agent: boolean;
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

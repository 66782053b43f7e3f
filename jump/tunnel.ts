// `ssh -J` support: a direct-tcpip channel to DEVICE:PORT, where DEVICE is a device id resolved
// to an address and checked against the user's access rules. Bytes each way and the duration go
// to the audit log when the tunnel closes.
import { connect } from 'node:net';
import type { Connection, ServerChannel, TcpipRequestInfo } from 'ssh2';
import { errorMessage } from '../lib/errors.js';
import { mayReach } from './access.js';
import { clientSocket } from './client-socket.js';
import { forward, FORWARD_LIMIT, type ForwardCount } from './forward.js';
import type { ActivityHandle, ActivityKind } from './activity.js';
import type { AuditLog } from './audit.js';
import type { DeviceResolver } from './devices.js';
import { ADMINISTRATIVELY_PROHIBITED, rejectChannel } from './reject-channel.js';
import type { UserSpec } from '../specs/schema/user.js';

/** What a logged-in connection gives the channels it opens. */
export interface TunnelContext {
  client: Connection;
  user: UserSpec;
  from: string;
  /** Shows what the channel does in the status report until `end()`. */
  activity: (a: { kind: ActivityKind; device: string | null; port?: number }) => ActivityHandle;
  devices: DeviceResolver;
  audit: AuditLog;
  touch: () => void;
  track: (closer: () => void) => () => void;
}

export async function openTunnel(ctx: TunnelContext, accept: () => ServerChannel, reject: () => void, info: TcpipRequestInfo): Promise<void> {
  const { user, from, audit } = ctx;
  const deviceId = info.destIP;
  const port = info.destPort;
  const refuse = (reason: string): void => {
    audit.write({ event: 'tunnel-refused', user: user.name, from, device: deviceId, port, reason });
    rejectChannel(ctx.client, reject, ADMINISTRATIVELY_PROHIBITED, `${deviceId}:${port}: ${reason}`);
  };
  let device;
  try {
    device = await ctx.devices.resolve(deviceId);
  } catch (err) {
    return refuse(`cannot resolve device: ${errorMessage(err)}`);
  }
  if (!device) return refuse('unknown device');
  if (!mayReach(user.access, { id: device.id, labels: device.labels, port })) return refuse('not allowed for this user');
  const targetPort = port === 22 ? device.sshPort : port;
  const address = `${device.host}:${targetPort}`;
  const started = Date.now();
  let toDevice: ForwardCount | undefined;
  let fromDevice: ForwardCount | undefined;
  const socket = connect({ host: device.host, port: targetPort });
  socket.setNoDelay(true);
  let stream: ServerChannel | undefined;
  let done = false;
  let untrack = (): void => undefined;
  let activity: ActivityHandle | undefined;
  const finish = (error?: string): void => {
    if (done) return;
    done = true;
    untrack();
    activity?.end();
    audit.write({ event: 'tunnel', user: user.name, from, device: device.id, address, port, bytesIn: toDevice?.bytes ?? 0, bytesOut: fromDevice?.bytes ?? 0, durationMs: Date.now() - started, ...(error ? { error } : {}) });
  };
  socket.once('error', (err) => {
    if (!stream) {
      audit.write({ event: 'tunnel-refused', user: user.name, from, device: deviceId, port, reason: `connect ${address}: ${err.message}` });
      reject();
      return;
    }
    finish(err.message);
    stream.destroy();
  });
  socket.once('connect', () => {
    stream = accept();
    if (!stream) {
      socket.destroy();
      return;
    }
    activity = ctx.activity({ kind: 'tunnel', device: device.id, port });
    untrack = ctx.track(() => {
      socket.destroy();
      stream?.close();
    });
    toDevice = forward(stream, socket, ctx.touch, FORWARD_LIMIT, socket);
    fromDevice = forward(socket, stream, ctx.touch, FORWARD_LIMIT, clientSocket(ctx.client));
    stream.on('error', () => socket.destroy());
    stream.on('close', () => {
      socket.destroy();
      finish();
    });
    socket.on('close', () => {
      stream!.end();
      finish();
    });
  });
}

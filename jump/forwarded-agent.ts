// The client's forwarded SSH agent, usable as an ssh2 Client `agent`: every request opens an
// auth-agent@openssh.com channel back to the client (ssh2's server has no helper for it).
import ssh2, { type Connection } from 'ssh2';
import type { Duplex } from 'node:stream';

const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

interface Internals {
  _chanMgr: { add(handler: unknown): number };
  _protocol: { openssh_authAgent(chan: number, window: number, packet: number): void };
}

export function openAgentChannel(client: Connection, cb: (err: Error | undefined, stream?: Duplex) => void): void {
  const inner = client as unknown as Internals;
  const wrapper = (err: Error | undefined, stream: Duplex): void => cb(err, stream);
  (wrapper as unknown as { type: string }).type = 'auth-agent@openssh.com';
  const id = inner._chanMgr.add(wrapper);
  if (id === -1) return cb(new Error('no free channel for the agent'));
  inner._protocol.openssh_authAgent(id, MAX_WINDOW, PACKET_SIZE);
}

export function forwardedAgent(client: Connection): InstanceType<typeof ssh2.OpenSSHAgent> {
  const agent = new ssh2.OpenSSHAgent('forwarded');
  (agent as unknown as { getStream: (cb: (err: Error | undefined, stream?: Duplex) => void) => void }).getStream = (cb) => openAgentChannel(client, cb);
  return agent;
}

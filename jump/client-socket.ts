// The TCP socket under an ssh2 server connection (ssh2 keeps it as `_sock`; the jump handed it
// over with injectSocket): for the startup limits, the connection list and batched writes.
import type { Socket } from 'node:net';
import type { Connection } from 'ssh2';

export function clientSocket(client: Connection): Socket | undefined {
  return (client as unknown as { _sock?: Socket })._sock;
}

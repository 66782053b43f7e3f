// A free loopback TCP port for a server that must be given one (haproxy, PostgreSQL, Prometheus):
// bind 127.0.0.1:0, read the port, close. Callers retry when another process takes it first.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

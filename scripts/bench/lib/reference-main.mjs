// The bare-server ceiling the benchmarks compare meta with: a fastify app with one route per
// protocol that parses the body, stores it in a Map under the device's id (or hostname) and answers
// a fixed body of the same shape as meta's. Run as a child process (reference-server.ts), so its CPU
// time and memory are read the same way as meta's. Prints its URL on the first line of stdout.
// Plain JavaScript, run without a loader, as built meta (dist/) is.
import fastify from 'fastify';

const V1_ANSWER = JSON.stringify({ protocol: 1, deviceId: '', etag: 'e'.repeat(32), revision: 'r'.repeat(40), heartbeatMs: 60000 });
const LEGACY_ANSWER = JSON.stringify({
  errorMessage: '',
  desiredAgents: [
    { name: 'falcon-agent', version: '5.1.2', tarball: 'http://127.0.0.1:1/v1/artifacts/legacy/sha256/x', md5: 'http://127.0.0.1:1/v1/artifacts/legacy/sha256/x', cmd: 'start' },
  ],
});

const app = fastify({ logger: false, bodyLimit: 1 << 20 });
const devices = new Map();

// Long polls (the commit-to-fleet benchmark): a heartbeat with `?wait=` holding the current etag is
// parked (its reply hijacked); `POST /wake` with a desired document as its body moves the etag and
// answers every parked one on the raw response, 2,000 per turn of the event loop, with bytes built
// once (as meta does for devices that share a document). Without `wait`, the fixed answer above.
let etag = 'e'.repeat(32);
let parked = [];
let rounds = 0;

app.post('/v1/heartbeat', async (req, reply) => {
  devices.set(String(req.body?.device?.id), req.body);
  if (req.query.wait && req.body?.etag === etag) {
    reply.hijack();
    parked.push({ id: String(req.body.device.id), res: reply.raw });
    return reply;
  }
  return reply.header('content-type', 'application/json; charset=utf-8').send(V1_ANSWER);
});

app.post('/wake', async (req) => {
  etag = (++rounds).toString(16).padStart(32, '0');
  const middle = `,"etag":"${etag}","revision":"${'r'.repeat(40)}","heartbeatMs":60000`;
  const tail = Buffer.from(`,"desired":${JSON.stringify(req.body)}}`);
  const woken = parked;
  parked = [];
  let i = 0;
  const step = () => {
    for (const end = Math.min(woken.length, i + 2000); i < end; i++) {
      const { id, res } = woken[i];
      if (res.destroyed) continue;
      const head = `{"protocol":1,"deviceId":${JSON.stringify(id)}${middle}`;
      const n = Buffer.byteLength(head);
      const body = Buffer.allocUnsafe(n + tail.length);
      body.write(head, 0, 'utf8');
      tail.copy(body, n);
      res.writeHead(200, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length)]);
      res.end(body);
    }
    if (i < woken.length) setImmediate(step);
  };
  step();
  return { woken: woken.length };
});

await app.register(async (scope) => {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  scope.post('/heartbeat', async (req, reply) => {
    const body = JSON.parse(req.body);
    devices.set(String(body.hostname), body);
    return reply.header('content-type', 'application/json; charset=UTF-8').send(LEGACY_ANSWER);
  });
});

app.get('/stats', async () => ({ devices: devices.size, longPolls: parked.length }));

const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(url + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

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

app.post('/v1/heartbeat', async (req, reply) => {
  devices.set(String(req.body?.device?.id), req.body);
  return reply.header('content-type', 'application/json; charset=utf-8').send(V1_ANSWER);
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

app.get('/stats', async () => ({ devices: devices.size }));

const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(url + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import fastify, { LogController, type FastifyBaseLogger } from 'fastify';
import { DroverError } from '../../../lib/errors.js';
import { createLogger } from '../../../lib/log.js';
import { installErrorHandling } from '../../../reconciler/http/http-error.js';
import { lazyChildLogger } from '../../../reconciler/http/lazy-request-logger.js';

it('logs a 5xx once, with its stack and the request id; answers the code from the error map', async () => {
  const lines: Record<string, any>[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l))), cb()) });
  const log = createLogger({ name: 'meta', level: 'info', destination });
  const app = fastify({ loggerInstance: log as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  installErrorHandling(app);
  app.get('/boom', async () => {
    throw new Error('kaboom');
  });
  app.get('/busy', async () => {
    throw new DroverError('ARTIFACT_CACHE_BUSY', 'cache full', { retryAfterS: 3 });
  });
  app.get('/gone', async () => {
    throw new DroverError('ARTIFACT_UNKNOWN', 'no such artifact');
  });
  const boom = await app.inject({ url: '/boom' });
  assert.equal(boom.statusCode, 500);
  assert.deepEqual(boom.json(), { error: 'INTERNAL', message: 'internal error' });
  const busy = await app.inject({ url: '/busy' });
  assert.equal(busy.statusCode, 503);
  assert.equal(busy.headers['retry-after'], '3');
  assert.equal((await app.inject({ url: '/gone' })).statusCode, 404);
  await new Promise((r) => setImmediate(r));
  const errors = lines.filter((l) => l.level >= 50);
  assert.equal(errors.length, 2, JSON.stringify(lines));
  assert.match(errors[0]!.err.stack, /kaboom/);
  assert.ok(errors[0]!.reqId);
  assert.equal(errors[1]!.code, 'ARTIFACT_CACHE_BUSY');
  await app.close();
});

it('the request logger is made on the first log line only, and still carries the request id', async () => {
  const lines: Record<string, any>[] = [];
  const destination = new Writable({ write: (chunk: Buffer, _e, cb) => (lines.push(...chunk.toString().trim().split('\n').map((l) => JSON.parse(l))), cb()) });
  const log = createLogger({ name: 'meta', level: 'info', destination }) as FastifyBaseLogger;
  let children = 0;
  const counting = (l: FastifyBaseLogger): FastifyBaseLogger => Object.create(l, { child: { value: (b: never, o: never) => (children++, l.child(b, o)) } });
  const app = fastify({ loggerInstance: log, logController: new LogController({ disableRequestLogging: true }), childLoggerFactory: (l, b, o) => lazyChildLogger(counting(l), b, o) });
  installErrorHandling(app);
  app.get('/quiet', async () => 'ok');
  app.get('/boom', async () => {
    throw new Error('kaboom');
  });
  const atStart = children;
  for (let i = 0; i < 5; i++) assert.equal((await app.inject({ url: '/quiet' })).statusCode, 200);
  assert.equal(children, atStart);
  assert.equal((await app.inject({ url: '/boom' })).statusCode, 500);
  assert.equal(children, atStart + 1);
  await new Promise((r) => setImmediate(r));
  const errors = lines.filter((l) => l.level >= 50);
  assert.equal(errors.length, 1, JSON.stringify(lines));
  assert.ok(errors[0]!.reqId);
  assert.match(errors[0]!.err.stack, /kaboom/);
  await app.close();
});

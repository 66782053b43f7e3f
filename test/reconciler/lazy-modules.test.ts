// What a running meta leaves unloaded until a feature needs it (docs/meta.md "Memory"): fastify's
// schema compilers (ajv, fast-json-stringify; none of meta's routes declares a schema) and, with a
// fleet read from a directory, isomorphic-git. Checked in a fresh node process (this one has loaded
// them for other reasons): a meta started there answers agent and Open-Falcon heartbeats, then
// reports the CommonJS modules it holds; a route that does declare schemas gets them validated and
// serialized as with fastify's defaults.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { ROOT } from '../helpers/meta-process.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-lazy-modules-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
import { createRequire } from 'node:module';
import fastify from ${JSON.stringify(pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('fastify')).href)};
import { copyExampleFleet, heartbeatBody, postHeartbeat, startMetaInProcess } from ${JSON.stringify(join(ROOT, 'test/helpers/meta-process.ts'))};
import { lazySchemaCompilers } from ${JSON.stringify(join(ROOT, 'reconciler/http/lazy-schema-compilers.ts'))};

const held = () => Object.keys(createRequire(import.meta.url).cache);
// fastify itself always loads fast-json-stringify/lib/serializer.js (for its error replies), not the compiler
const has = (path) => held().some((k) => k.includes('/node_modules/' + path));
const out = {};
const meta = await startMetaInProcess({ repo: copyExampleFleet() });
try {
  out.agent = (await postHeartbeat(meta.url, meta.agentToken, heartbeatBody('dev-001'))).status;
  out.legacy = (await fetch(meta.url + '/heartbeat', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ hostname: 'web-1', realAgents: [] }) })).status;
  out.before = { ajv: has('ajv/'), fastJsonStringify: has('fast-json-stringify/index.js'), isomorphicGit: has('isomorphic-git/') };
} finally {
  await meta.stop();
}
const app = fastify({ schemaController: lazySchemaCompilers });
app.post('/s', {
  schema: {
    body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
    response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
  },
}, async (req) => ({ n: req.body.n, secret: 'dropped by the response schema' }));
const bad = await app.inject({ method: 'POST', url: '/s', payload: { n: 'x' } });
const good = await app.inject({ method: 'POST', url: '/s', payload: { n: 2 } });
out.schema = { bad: bad.statusCode, good: good.statusCode, body: good.body };
out.after = { ajv: has('ajv/'), fastJsonStringify: has('fast-json-stringify/index.js') };
await app.close();
console.log(JSON.stringify(out));
`;

test('a running meta has not loaded ajv, fast-json-stringify nor (with a directory fleet) isomorphic-git; a route with schemas still gets them', () => {
  const file = join(dir, 'child.mts');
  writeFileSync(file, CHILD);
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  const out = JSON.parse(res.stdout.trim().split('\n').pop()!);
  assert.equal(out.agent, 200);
  assert.equal(out.legacy, 200);
  assert.deepEqual(out.before, { ajv: false, fastJsonStringify: false, isomorphicGit: false });
  assert.deepEqual(out.schema, { bad: 400, good: 200, body: '{"n":2}' });
  assert.deepEqual(out.after, { ajv: true, fastJsonStringify: true });
});

// Operator requests are durable: a retry request (`drover retry`, POST /v1/devices/:id/retry) and a
// jump restart request survive a SIGKILL of meta (they are in the store before they are
// acknowledged), and with several metas on one PostgreSQL a request taken by one meta is served by
// another, waking the device's long poll there.
// (Before, both lived in one meta's memory: lost on a restart, unknown to the other metas.)
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { haproxyMissing } from '../helpers/haproxy-server.js';
import { startMetaCluster } from '../helpers/meta-cluster.js';
import { copyExampleFleet, heartbeatBody, postHeartbeat, startMetaProcess, type MetaHandle } from '../helpers/meta-process.js';
import { postgresMissing, startPostgres } from '../helpers/postgres-server.js';

const fleet = copyExampleFleet();
after(() => rmSync(fleet, { recursive: true, force: true }));

const DEVICE = 'dev-001';
const device = { id: DEVICE, hostname: DEVICE, labels: { role: 'web' }, facts: {} };
const jumpReport = (startedAt: string) => ({ name: 'jump-a', up: true, version: '1.0.0', startedAt, activeSessions: 0, sessions: [] });

async function admin(m: MetaHandle, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${m.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${m.adminToken}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const tokens = (doc: { packages: { name: string; retryRequestedAt?: number }[] }): Record<string, number | undefined> =>
  Object.fromEntries(doc.packages.map((p) => [p.name, p.retryRequestedAt]));

async function killed(m: Awaited<ReturnType<typeof startMetaProcess>>): Promise<void> {
  m.child.kill('SIGKILL');
  await new Promise((r) => (m.child.exitCode !== null || m.child.signalCode !== null ? r(null) : m.child.once('exit', r)));
}

describe('retry and jump restart requests survive a SIGKILL of meta (SQLite)', () => {
  it('the device still gets its retry token and the jump its restart from the restarted meta', { timeout: 300_000 }, async () => {
    let meta = await startMetaProcess({ repo: fleet, timeoutMs: 120_000 });
    const dataDir = meta.dataDir;
    try {
      const first = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody(DEVICE, { device }));
      assert.equal(first.status, 200);
      assert.ok(first.body.desired.packages.length > 0, 'the example fleet gives dev-001 packages');
      const startedAt = new Date(Date.now() - 60_000).toISOString();
      assert.equal((await admin(meta, '/v1/jump/report', jumpReport(startedAt))).status, 200);

      const retry = await admin(meta, `/v1/devices/${DEVICE}/retry`, {});
      assert.equal(retry.status, 200);
      const restart = await admin(meta, '/v1/jump/restart', { name: 'jump-a', deadlineMs: 4000 });
      assert.equal(restart.status, 202);
      const asked = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody(DEVICE, { device }));
      await killed(meta); // at once: only what was committed before the answers is left

      meta = await startMetaProcess({ repo: fleet, dataDir, timeoutMs: 120_000 });
      const again = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody(DEVICE, { device, etag: asked.body.etag }));
      assert.equal(again.status, 200);
      assert.equal(again.body.etag, asked.body.etag, 'the same document (with its retry tokens) as before the kill');
      const hb = await postHeartbeat(meta.url, meta.agentToken, heartbeatBody(DEVICE, { device }));
      for (const name of retry.body.packages as string[]) assert.equal(tokens(hb.body.desired)[name], retry.body.retryRequestedAt, name);

      const answer = await admin(meta, '/v1/jump/report', jumpReport(startedAt));
      assert.deepEqual(answer.body, { restart: true, deadlineMs: 4000 }, 'the restart asked before the kill is delivered');
      const restarted = await admin(meta, '/v1/jump/report', jumpReport(new Date().toISOString()));
      assert.deepEqual(restarted.body, { restart: false }, 'a jump started after the request has done it');
    } finally {
      await meta.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

const skip = postgresMissing() ?? haproxyMissing() ?? false;

describe('retry and jump restart requests with two metas on one PostgreSQL', { skip }, () => {
  it("a retry asked on one meta wakes the device's long poll on the other; a restart asked on one is delivered by the other", { timeout: 300_000 }, async () => {
    const pg = await startPostgres();
    const cluster = await startMetaCluster({ pg, repo: fleet }).catch(async (err: unknown) => {
      await pg.stop();
      throw err;
    });
    try {
      const [a, b] = cluster.metas as unknown as [MetaHandle, MetaHandle];
      const onB = await postHeartbeat(b.url, b.agentToken, heartbeatBody(DEVICE, { device }));
      assert.equal(onB.status, 200);
      const startedAt = new Date(Date.now() - 60_000).toISOString();
      for (const m of [a, b]) assert.equal((await admin(m, '/v1/jump/report', jumpReport(startedAt))).status, 200);
      // A knows the device once B's write reaches it through the change feed.
      const deadline = Date.now() + 60_000;
      while ((await fetch(`${a.url}/v1/devices/${DEVICE}`, { headers: { authorization: `Bearer ${a.adminToken}` } })).status !== 200) {
        assert.ok(Date.now() < deadline, 'meta A heard of the device');
        await new Promise((r) => setTimeout(r, 200));
      }

      // The agent waits on B with its current etag; the operator asks A.
      let held = (await postHeartbeat(b.url, b.agentToken, heartbeatBody(DEVICE, { device }))).body.etag as string;
      let poll = postHeartbeat(b.url, b.agentToken, heartbeatBody(DEVICE, { device, etag: held, appliedEtag: held }), 120);
      await new Promise((r) => setTimeout(r, 500));
      const retry = await admin(a, `/v1/devices/${DEVICE}/retry`, { package: onB.body.desired.packages[0].name });
      assert.equal(retry.status, 200);
      let woken: { status: number; body: any };
      for (let i = 0; ; i++) {
        woken = await poll;
        assert.equal(woken.status, 200);
        if (woken.body.desired && tokens(woken.body.desired)[retry.body.packages[0]] === retry.body.retryRequestedAt) break;
        assert.ok(i < 10, `B's long poll answered ${i + 1} times without the retry token`);
        held = woken.body.etag as string;
        poll = postHeartbeat(b.url, b.agentToken, heartbeatBody(DEVICE, { device, etag: held, appliedEtag: held }), 120);
      }
      assert.notEqual(woken.body.etag, held, 'the long poll on B answered with a new document');
      const fromA = await postHeartbeat(a.url, a.agentToken, heartbeatBody(DEVICE, { device }));
      assert.equal(fromA.body.etag, woken.body.etag, 'both metas serve the same document');

      assert.equal((await admin(a, '/v1/jump/restart', { name: 'jump-a' })).status, 202);
      let answer: any;
      const until = Date.now() + 60_000;
      do {
        answer = (await admin(b, '/v1/jump/report', jumpReport(startedAt))).body;
        if (answer.restart) break;
        await new Promise((r) => setTimeout(r, 200));
      } while (Date.now() < until);
      assert.deepEqual(answer, { restart: true }, 'B delivers the restart asked on A');
    } finally {
      await cluster.stop();
      await pg.stop();
    }
  });
});

// meta over HTTPS with certificates made by the real openssl: curl --cacert and real agents get
// through, a wrong CA, no CA and an expired certificate are refused; the plain listener serves
// only the legacy protocol and health checks; a renewed certificate is picked up on SIGHUP and
// when the files change, while a parked long poll keeps its connection.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { startAgentProcess, type AgentProcess } from '../../agent/agent-process.js';
import { issue, makeCa, serverPki, type Pem } from '../../helpers/certs.js';
import { tlsRequest } from '../../helpers/https-request.js';
import { copyExampleFleet, heartbeatBody, startMetaInProcess, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-tls-'));
const fleet = copyExampleFleet();
let pki: { ca: Pem; server: Pem };
let wrongCa: Pem;
let live: Pem;
let meta: MetaHandle & { child: import('node:child_process').ChildProcess; output(): string };
const agents: AgentProcess[] = [];

before(async () => {
  pki = serverPki(tmp);
  wrongCa = makeCa(tmp, 'wrong-ca');
  // meta reads its certificate from these paths; tests replace them to renew.
  live = { cert: join(tmp, 'live.pem'), key: join(tmp, 'live.key') };
  copyFileSync(pki.server.cert, live.cert);
  copyFileSync(pki.server.key, live.key);
  meta = await startMetaProcess({ repo: fleet, ca: pki.ca.cert, timeoutMs: 120_000, args: ['--tls-cert', live.cert, '--tls-key', live.key, '--listen-http', '127.0.0.1:0'] });
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(fleet, { recursive: true, force: true });
});

// Asynchronous: one of the metas runs in this process.
const curl = (...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn('curl', ['-sS', '--max-time', '20', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });

function serialOf(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), ca: readFileSync(pki.ca.cert) }, () => {
      resolve(s.getPeerCertificate().serialNumber);
      s.end();
    });
    s.on('error', reject);
  });
}
const serialOfFile = (file: string) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-serial'], { encoding: 'utf8' }).trim().replace(/^serial=/, '').toUpperCase();

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('meta over TLS', () => {
  it('serves HTTPS that curl verifies with --cacert, and refuses without the CA or with another', async () => {
    assert.match(meta.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const ok = await curl('--cacert', pki.ca.cert, '-H', `authorization: Bearer ${meta.adminToken}`, `${meta.url}/v1/status`);
    assert.equal(ok.status, 0, ok.stderr);
    assert.ok(JSON.parse(ok.stdout).revision !== undefined || JSON.parse(ok.stdout).source, ok.stdout);
    const noCa = await curl(`${meta.url}/healthz`);
    assert.equal(noCa.status, 60, `curl without the CA must fail verification: ${noCa.stderr}`);
    const wrong = await curl('--cacert', wrongCa.cert, `${meta.url}/healthz`);
    assert.equal(wrong.status, 60, wrong.stderr);
  });

  it('plain HTTP serves only the legacy protocol and health checks', async () => {
    assert.ok(meta.httpUrl, meta.output());
    assert.equal((await tlsRequest(`${meta.httpUrl}/healthz`)).status, 200);
    const v1 = await tlsRequest(`${meta.httpUrl}/v1/devices`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
    assert.equal(v1.status, 403);
    assert.equal(v1.json().error, 'TLS_REQUIRED');
    const hb = await tlsRequest(`${meta.httpUrl}/v1/heartbeat`, { body: JSON.stringify(heartbeatBody('plain-1')), headers: { authorization: `Bearer ${meta.agentToken}` } });
    assert.equal(hb.status, 403);
    const legacy = await tlsRequest(`${meta.httpUrl}/heartbeat`, { body: JSON.stringify({ hostname: 'legacy-1', realAgents: [] }) });
    assert.equal(legacy.status, 200, legacy.text);
    assert.equal(legacy.json().errorMessage, '');
  });

  it('a real agent with --ca reports over HTTPS; with the wrong CA it is refused and never seen', async () => {
    agents.push(startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agent-ok'), id: 'tls-ok', args: ['--ca', pki.ca.cert] }));
    const bad = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, 'agent-bad'), id: 'tls-bad', args: ['--ca', wrongCa.cert] });
    agents.push(bad);
    const seen = async (id: string) => (await tlsRequest(`${meta.url}/v1/devices/${id}`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${meta.adminToken}` } })).status === 200;
    await until('tls-ok reported', () => seen('tls-ok'));
    await until('tls-bad logged a verification failure', async () => /heartbeat failed/.test(bad.output()));
    assert.match(bad.output(), /certificate|self.signed|verify/i);
    assert.equal(await seen('tls-bad'), false);
  });

  it('a renewed certificate is used after SIGHUP and after a file change; a parked long poll survives', async () => {
    const first = await tlsRequest(`${meta.url}/v1/heartbeat`, { ca: pki.ca.cert, body: JSON.stringify(heartbeatBody('tls-lp')), headers: { authorization: `Bearer ${meta.agentToken}` } });
    assert.equal(first.status, 200);
    const parked = tlsRequest(`${meta.url}/v1/heartbeat?wait=4`, {
      ca: pki.ca.cert, body: JSON.stringify(heartbeatBody('tls-lp', { etag: first.json().etag })), headers: { authorization: `Bearer ${meta.agentToken}` },
    });
    const renewed = issue(tmp, pki.ca, 'renewed', { cn: 'localhost', san: 'IP:127.0.0.1' });
    copyFileSync(renewed.cert, live.cert);
    copyFileSync(renewed.key, live.key);
    meta.child.kill('SIGHUP');
    await until('the renewed certificate served', async () => (await serialOf(meta.url)) === serialOfFile(renewed.cert));
    const again = issue(tmp, pki.ca, 'again', { cn: 'localhost', san: 'IP:127.0.0.1' });
    copyFileSync(again.cert, live.cert);
    copyFileSync(again.key, live.key);
    await until('the certificate changed on disk served without a signal', async () => (await serialOf(meta.url)) === serialOfFile(again.cert));
    const answer = await parked;
    assert.equal(answer.status, 200, answer.text);
    assert.match(meta.output(), /TLS certificate reloaded/);
  });

  it('a key that does not match its certificate is refused on reload and the old pair stays', async () => {
    const before = await serialOf(meta.url);
    copyFileSync(pki.server.key, live.key); // a key of another certificate
    meta.child.kill('SIGHUP');
    await until('the refusal logged', async () => /TLS files did not load/.test(meta.output()));
    assert.equal(await serialOf(meta.url), before);
  });
});

describe('an expired server certificate', () => {
  it('is refused by curl and by the agent', async () => {
    const expired = issue(tmp, pki.ca, 'expired', { cn: 'localhost', san: 'IP:127.0.0.1', days: -1 });
    const m = await startMetaInProcess({ repo: fleet, args: ['--tls-cert', expired.cert, '--tls-key', expired.key] });
    try {
      const r = await curl('--cacert', pki.ca.cert, `${m.url}/healthz`);
      assert.equal(r.status, 60);
      assert.match(r.stderr, /expired/i);
      const a = startAgentProcess({ metaUrl: m.url, token: m.agentToken, root: join(tmp, 'agent-exp'), id: 'tls-exp', args: ['--ca', pki.ca.cert] });
      try {
        await until('the agent refused the expired certificate', async () => /certificate has expired|CERT_HAS_EXPIRED/i.test(a.output()));
      } finally {
        await a.close();
      }
    } finally {
      await m.stop();
    }
  });
});

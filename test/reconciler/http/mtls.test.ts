// Mutual TLS: with --client-ca, a real agent presenting its certificate (--cert/--key) reports
// as the device its certificate names; a device presenting another device's certificate is
// refused (403), no certificate or one from another CA gets 401; the admin API keeps its token.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgentProcess, type AgentProcess } from '../../agent/agent-process.js';
import { deviceIdFromCert } from '../../../reconciler/http/client-cert.js';
import { issue, makeCa, serverPki, type Pem } from '../../helpers/certs.js';
import { tlsRequest } from '../../helpers/https-request.js';
import { copyExampleFleet, heartbeatBody, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-mtls-'));
const fleet = copyExampleFleet();
let pki: { ca: Pem; server: Pem };
let devA: Pem;
let devB: Pem;
let stranger: Pem;
let meta: MetaHandle & { output(): string };
let agent: AgentProcess;

before(async () => {
  pki = serverPki(tmp);
  const clientCa = makeCa(tmp, 'client-ca');
  devA = issue(tmp, clientCa, 'dev-a', { client: true, cn: 'ignored-cn', san: 'URI:drover:device:mtls-a' });
  devB = issue(tmp, clientCa, 'dev-b', { client: true, cn: 'mtls-b' });
  stranger = issue(tmp, makeCa(tmp, 'other-ca'), 'stranger', { client: true, cn: 'mtls-a' });
  meta = await startMetaProcess({ repo: fleet, ca: pki.ca.cert, timeoutMs: 120_000, args: ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--client-ca', clientCa.cert] });
  agent = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, 'agent'), id: 'mtls-a', args: ['--ca', pki.ca.cert, '--cert', devA.cert, '--key', devA.key] });
});
after(async () => {
  await agent?.close();
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(fleet, { recursive: true, force: true });
});

const heartbeat = (id: string, client?: Pem) =>
  tlsRequest(`${meta.url}/v1/heartbeat`, { ca: pki.ca.cert, ...(client ? { cert: client.cert, key: client.key } : {}), body: JSON.stringify(heartbeatBody(id)), headers: { authorization: `Bearer ${meta.agentToken}` } });

describe('mutual TLS', () => {
  it('the device id comes from the SAN URI, else the CN', () => {
    assert.equal(deviceIdFromCert({ subject: { CN: 'x' } as never, subjectaltname: 'IP Address:127.0.0.1, URI:drover:device:dev-7' }), 'dev-7');
    assert.equal(deviceIdFromCert({ subject: { CN: 'dev-8' } as never, subjectaltname: undefined as never }), 'dev-8');
    assert.equal(deviceIdFromCert({ subject: { CN: 'not a/valid id' } as never, subjectaltname: undefined as never }), null);
  });

  it('a real agent with --cert/--key (and no token) reports as its certificate\'s device', async () => {
    const deadline = Date.now() + 90_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await tlsRequest(`${meta.url}/v1/devices/mtls-a`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${meta.adminToken}` } })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 200, agent.output().slice(-2000));
  });

  it('another device\'s certificate cannot report for it: 403', async () => {
    assert.equal((await heartbeat('mtls-b', devB)).status, 200);
    const res = await heartbeat('mtls-a', devB);
    assert.equal(res.status, 403, res.text);
  });

  it('no certificate, or one from another CA: 401 even with the agent token', async () => {
    const none = await heartbeat('mtls-a');
    assert.equal(none.status, 401);
    assert.match(none.json().message, /client certificate/);
    assert.equal((await heartbeat('mtls-a', stranger)).status, 401);
  });
});

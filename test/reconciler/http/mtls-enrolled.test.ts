// Mutual TLS with enrollment on (`--client-ca` and `--enroll-token-file`): a real agent with a client
// certificate and a real agent holding none, which enrolls with the fleet token over TLS (`enroll:
// auto`), both converge InSync. The enrolled credential speaks for its own device only (403 for
// another, also beside another device's certificate); the shared agent token and a certificate from
// another CA stay refused (401), even with a valid credential; a revoked enrollment shuts its device
// out, certificate or not (heartbeats and artifact downloads), until it is accepted again. A second
// meta on the same store without the enrollment token (certificates only) refuses the credential. Certificates made with the real openssl.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { waitFor } from '../../agent/fixtures.js';
import { issue, makeCa, serverPki, type Pem } from '../../helpers/certs.js';
import { generateDeviceKey } from '../../../lib/device-key.js';
import { signedEnrollRequest } from '../../helpers/enroll-request.js';
import { tlsRequest } from '../../helpers/https-request.js';
import { heartbeatBody, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';

const ENROLL_TOKEN = 'fleet-enroll-token-mtls-5e8b2c90d4a1';
const tmp = mkdtempSync(join(tmpdir(), 'drover-mtls-enroll-'));
const fleet = join(tmp, 'fleet');
const tokenFile = join(tmp, 'enroll-token');
let pki: { ca: Pem; server: Pem };
let certDevice: Pem;
let otherCert: Pem;
let stranger: Pem;
let clientCaCert: string;
let meta: MetaHandle & { output(): string };
const agents: Record<string, AgentProcess> = {};

before(async () => {
  writeFileSync(tokenFile, ENROLL_TOKEN + '\n', { mode: 0o600 });
  writeFleet(fleet, { 'devices/tls-enrolled.yaml': 'id: tls-enrolled\nenroll: auto\n' });
  pki = serverPki(tmp);
  const clientCa = makeCa(tmp, 'client-ca');
  clientCaCert = clientCa.cert;
  certDevice = issue(tmp, clientCa, 'tls-cert', { client: true, san: 'URI:drover:device:tls-cert' });
  otherCert = issue(tmp, clientCa, 'tls-other', { client: true, cn: 'tls-other' });
  stranger = issue(tmp, makeCa(tmp, 'other-ca'), 'stranger', { client: true, cn: 'tls-enrolled' });
  meta = await startMetaProcess({
    repo: fleet,
    ca: pki.ca.cert,
    timeoutMs: 120_000,
    args: ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--client-ca', clientCa.cert, '--enroll-token-file', tokenFile],
  });
  agents['tls-cert'] = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, 'tls-cert'), id: 'tls-cert', args: ['--ca', pki.ca.cert, '--cert', certDevice.cert, '--key', certDevice.key, '--heartbeat', '2s'] });
  agents['tls-enrolled'] = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, 'tls-enrolled'), id: 'tls-enrolled', args: ['--ca', pki.ca.cert, '--enroll-token-file', tokenFile, '--heartbeat', '2s'] });
});

after(async () => {
  await Promise.all(Object.values(agents).map((a) => a.close()));
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const api = (path: string, body?: unknown) =>
  tlsRequest(`${meta.url}${path}`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${meta.adminToken}` }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
const condition = async (id: string) => {
  const res = await api(`/v1/devices/${id}`);
  return res.status === 200 ? (res.json().condition as string) : null;
};
const heartbeat = (id: string, o: { bearer?: string; client?: Pem } = {}) =>
  tlsRequest(`${meta.url}/v1/heartbeat`, {
    ca: pki.ca.cert,
    ...(o.client ? { cert: o.client.cert, key: o.client.key } : {}),
    body: JSON.stringify(heartbeatBody(id)),
    headers: o.bearer ? { authorization: `Bearer ${o.bearer}` } : {},
  });
const artifact = (client: Pem) => tlsRequest(`${meta.url}/v1/artifacts/${'0'.repeat(64)}`, { ca: pki.ca.cert, cert: client.cert, key: client.key });
let issued = '';
/** The enrolled agent's credential (read once: a revoked agent may drop it). */
const credential = () => (issued ||= readFileSync(join(tmp, 'tls-enrolled/identity/credential'), 'utf8').trim());
const logs = () => `--- meta\n${meta.output().slice(-2000)}\n${Object.entries(agents).map(([id, a]) => `--- ${id}\n${a.output().slice(-1500)}`).join('\n')}`;

describe('mutual TLS with enrollment on', () => {
  it('a device with a client certificate and one that enrolled without any both converge InSync over TLS', async () => {
    await waitFor(async () => (await condition('tls-cert')) === 'InSync', `tls-cert InSync\n${logs()}`, 180_000, 250);
    await waitFor(async () => (await condition('tls-enrolled')) === 'InSync', `tls-enrolled InSync\n${logs()}`, 180_000, 250);
    const e = (await api('/v1/enrollments/tls-enrolled')).json();
    assert.equal(e.status, 'accepted');
    assert.equal(e.decidedBy, 'fleet (enroll: auto)');
    assert.equal((await heartbeat('tls-enrolled', { bearer: credential() })).status, 200, 'the credential, no certificate');
  });

  it('the credential speaks for its own device only: 403 for another id, also beside another device\'s certificate', async () => {
    const other = await heartbeat('tls-cert', { bearer: credential() });
    assert.equal(other.status, 403, other.text);
    assert.match(other.json().message, /for device tls-enrolled, not tls-cert/);
    const mixed = await heartbeat('tls-cert', { bearer: credential(), client: certDevice });
    assert.equal(mixed.status, 403, mixed.text);
    assert.match(mixed.json().message, /certificate is for device tls-cert, the credential for tls-enrolled/);
    assert.equal((await heartbeat('tls-other', { client: otherCert })).status, 200, 'a certificate alone');
    assert.equal((await heartbeat('tls-enrolled', { client: otherCert })).status, 403, 'a certificate for another device');
  });

  it('the shared agent token, no credential, or a certificate from another CA stay refused (401)', async () => {
    const token = await heartbeat('tls-enrolled', { bearer: meta.agentToken });
    assert.equal(token.status, 401, token.text);
    assert.match(token.json().message, /client certificate .*or an enrolled device's credential/);
    assert.equal((await heartbeat('tls-enrolled')).status, 401);
    const download = await tlsRequest(`${meta.url}/v1/artifacts/${'0'.repeat(64)}`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${meta.agentToken}` } });
    assert.equal(download.status, 401, `nor does the agent token fetch artifacts: ${download.text}`);
    const asAdmin = await tlsRequest(`${meta.url}/v1/artifacts/${'0'.repeat(64)}`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${meta.adminToken}` } });
    assert.equal(asAdmin.status, 404, 'the admin token does (no such artifact)');
    const bad = await heartbeat('tls-enrolled', { bearer: credential(), client: stranger });
    assert.equal(bad.status, 401, 'a certificate that does not verify is refused, whatever else comes with it');
  });

  it('a revoked enrollment gets 401 and shows Revoked', async () => {
    const before = credential();
    assert.equal((await api('/v1/enrollments/tls-enrolled/revoke', { reason: 'test' })).status, 200);
    assert.equal((await heartbeat('tls-enrolled', { bearer: before })).status, 401);
    await waitFor(() => agents['tls-enrolled']!.output().includes('was revoked'), `the agent told\n${logs()}`, 120_000, 250);
    assert.equal(await condition('tls-enrolled'), 'Revoked');
    assert.equal(await condition('tls-cert'), 'InSync', 'others unaffected');
  });

  it('revoking a device that also holds a certificate shuts the certificate out too, until it is accepted again', async () => {
    const enroll = await tlsRequest(`${meta.url}/v1/enroll`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${ENROLL_TOKEN}` }, body: JSON.stringify(signedEnrollRequest('tls-other')) });
    assert.equal(enroll.status, 202, enroll.text);
    assert.equal((await api('/v1/enrollments/tls-other/accept', {})).status, 200);
    assert.equal((await api('/v1/enrollments/tls-other/revoke', { reason: 'stolen' })).status, 200);
    const refused = await heartbeat('tls-other', { client: otherCert });
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.json().error, 'CREDENTIAL_REVOKED');
    assert.match(refused.json().message, /stolen/);
    const download = await artifact(otherCert);
    assert.equal(download.status, 401, `artifact downloads too: ${download.text}`);
    assert.equal(download.json().error, 'CREDENTIAL_REVOKED');
    assert.equal((await api('/v1/enrollments/tls-other/accept', {})).status, 200);
    assert.equal((await heartbeat('tls-other', { client: otherCert })).status, 200);
    assert.equal((await artifact(otherCert)).status, 404, 'accepted again: past authentication (no such artifact)');
  });

  it('without --enroll-token-file, --client-ca means certificates only: an enrolled credential is refused (401)', async () => {
    const key = generateDeviceKey();
    const enroll = () => tlsRequest(`${meta.url}/v1/enroll`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${ENROLL_TOKEN}` }, body: JSON.stringify(signedEnrollRequest('tls-late', key)) });
    assert.equal((await enroll()).status, 202);
    assert.equal((await api('/v1/enrollments/tls-late/accept', {})).status, 200);
    const issuedLate = (await enroll()).json().credential as string;
    assert.match(issuedLate, /^dc1\.tls-late\./);
    assert.equal((await heartbeat('tls-late', { bearer: issuedLate })).status, 200, 'enrollment on: the credential is enough');
    // A second meta on the same store, with the same client CA but no enrollment token.
    const certsOnly = await startMetaProcess({ repo: fleet, dataDir: meta.dataDir, ca: pki.ca.cert, timeoutMs: 120_000, args: ['--tls-cert', pki.server.cert, '--tls-key', pki.server.key, '--client-ca', clientCaCert] });
    try {
      const post = (o: { bearer?: string; client?: Pem }) => tlsRequest(`${certsOnly.url}/v1/heartbeat`, {
        ca: pki.ca.cert, ...(o.client ? { cert: o.client.cert, key: o.client.key } : {}),
        body: JSON.stringify(heartbeatBody('tls-late')), headers: o.bearer ? { authorization: `Bearer ${o.bearer}` } : {},
      });
      const refused = await post({ bearer: issuedLate });
      assert.equal(refused.status, 401, refused.text);
      assert.doesNotMatch(refused.json().message, /enrolled device's credential/);
      assert.ok(!refused.text.includes(issuedLate), 'the credential is not echoed');
      assert.equal((await post({ client: otherCert })).status, 403, 'a certificate still authenticates (here for another device)');
      const download = await tlsRequest(`${certsOnly.url}/v1/artifacts/${'0'.repeat(64)}`, { ca: pki.ca.cert, headers: { authorization: `Bearer ${issuedLate}` } });
      assert.equal(download.status, 401, `nor does it fetch artifacts: ${download.text}`);
      assert.ok(!certsOnly.output().includes(issuedLate));
    } finally {
      await certsOnly.stop();
    }
  });

  it('shows no secret in the logs', () => {
    for (const s of [ENROLL_TOKEN, credential()]) assert.ok(!meta.output().includes(s) && !Object.values(agents).some((a) => a.output().includes(s)));
  });
});

// End to end, things going wrong: an artifact server serving wrong bytes, a tarball with
// `../evil`, a control script that hangs. Each is refused or killed in time, nothing broken is
// installed, the previous version keeps running, and meta sees the failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { deviceDetail, packageYaml, reported, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, appServicePid, buildPackage, type BuiltPackage, controlScript, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-fail-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const root = join(tmp, 'root');
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;
let good: BuiltPackage;

const yamlFor = (b: BuiltPackage, extra: { timeout?: string; sha256?: string } = {}) =>
  packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: extra.sha256 ?? b.sha256, pidFile: 'run.pid', timeout: extra.timeout });
const servicePid = (version: string) => appServicePid(root, version);
const report = () => reported(meta.url, meta.adminToken, 'dev-2', 'app');
/** The device's condition once it is Failed for `version` (never Progressing while nothing is under way). */
const failedFor = (version: string) =>
  waitFor(async () => {
    const d = await deviceDetail(meta.url, meta.adminToken, 'dev-2');
    return d?.condition === 'Failed' && d.packages[0]?.report?.failure?.version === version ? d : null;
  }, `the device Failed for ${version}`, 30_000);

before(async () => {
  good = buildPackage('app', '1.0', art, { control: controlScript() });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': yamlFor(good) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: 'dev-2', args: ['--stop-on-exit'] });
  await waitFor(async () => (await report())?.state === 'started', 'app 1.0 started', 90_000);
});

after(async () => {
  await agent?.close();
  for (const v of ['1.0', '2.0', '3.0', '4.0']) if (alive(servicePid(v))) process.kill(servicePid(v), 'SIGKILL');
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: failures', () => {
  it('a download that keeps breaking is Failed with its last cause, not "aborted"; 1.0 keeps running', async () => {
    const next = buildPackage('app', '1.5', art, { control: controlScript(), 'blob.txt': randomBytes(100_000).toString('base64') });
    server.faults.cutAfterBytes = 1000;
    server.faults.cutAlways = true;
    try {
      writeFleet(fleet, { 'packages/app.yaml': yamlFor(next) });
      const d = await failedFor('1.5');
      assert.equal(d.reason, 'DownloadFailed', d.message);
      assert.match(d.message, /attempt\(s\); last: connection reset after \d+ of \d+ bytes/);
    } finally {
      server.faults.cutAfterBytes = undefined;
      server.faults.cutAlways = false;
    }
    assert.ok(alive(servicePid('1.0')));
  });

  it('a checksum mismatch installs nothing and is reported; 1.0 keeps running', async () => {
    const next = buildPackage('app', '2.0', art, { control: controlScript() });
    server.faults.wrongBytes = true;
    try {
      writeFleet(fleet, { 'packages/app.yaml': yamlFor(next) });
      const r = await waitFor(async () => ((await report())?.error?.includes('CHECKSUM_MISMATCH') ? report() : null), 'the mismatch reported', 90_000);
      assert.equal(r.version, '1.0');
      assert.equal(r.state, 'started');
      assert.equal(r.targetVersion, '2.0');
    } finally {
      server.faults.wrongBytes = false;
    }
    const d = await failedFor('2.0');
    assert.equal(d.reason, 'ChecksumMismatch', d.message);
    assert.match(d.message, /1\.0 still runs/);
    assert.equal(existsSync(join(root, 'packages/app/2.0')), false);
    assert.deepEqual(readdirSync(join(root, 'downloads')), [], 'the bad download was deleted');
    assert.ok(alive(servicePid('1.0')));
  });

  it('a tarball with ../evil is refused and reported; nothing escapes', async () => {
    const evil = buildPackage('app', '3.0', art, { control: controlScript(), evil: 'pwned' }, ['-P', '--transform', 's,^\\./evil$,../evil,']);
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(evil) });
    const r = await waitFor(async () => {
      const x = await report();
      return x?.targetVersion === '3.0' && /UNSAFE_ARCHIVE/.test(x.error ?? '') ? x : null;
    }, 'the unsafe archive reported', 30_000);
    assert.equal(r.version, '1.0');
    const d = await failedFor('3.0');
    assert.equal(d.reason, 'ArchiveRefused', d.message);
    assert.equal(existsSync(join(root, 'packages/app/3.0')), false);
    assert.equal(existsSync(join(root, 'packages/evil')), false);
    assert.equal(existsSync(join(root, 'packages/app/evil')), false);
    assert.ok(alive(servicePid('1.0')));
  });

  it('a control script that hangs on start is killed at its timeout, reported, and 1.0 is put back', async () => {
    const hang = buildPackage('app', '4.0', art, { control: controlScript({ startHangs: true }) });
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(hang, { timeout: '2s' }) });
    const r = await waitFor(async () => {
      const x = await report();
      return x?.targetVersion === '4.0' && x.phase === 'rolledBack' && x.error ? x : null;
    }, 'the hang reported and rolled back', 40_000);
    assert.match(r.error ?? '', /timed out/);
    assert.match(r.outputTail ?? '', /starting, then hanging/);
    const d = await failedFor('4.0');
    assert.equal(d.reason, 'StartFailed', d.message);
    assert.match(d.message, /rolled back to 1\.0/);
    assert.equal(r.version, '1.0');
    assert.equal(r.state, 'started');
    assert.ok(alive(servicePid('1.0')));
    // The hanging script's `sleep 600` went with its process group: nothing runs in 4.0 any more.
    assert.deepEqual(processesIn(join(root, 'packages/app/4.0')), []);
  });
});

/** Live processes whose working directory is `dir`. */
function processesIn(dir: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir && alive(Number(entry))) out.push(Number(entry));
    } catch {
      /* gone or not ours */
    }
  }
  return out;
}

// End to end, a version that cannot start: it is rolled back once, the device shows Failed
// (StartFailed, the step, the exit code, the output tail), and it is NOT tried again in a loop
// that stops the working version every few seconds; `drover retry` makes the agent try once
// more; a fixed version converges.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { deviceDetail, packageYaml, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, appServicePid, buildPackage, type BuiltPackage, controlScript, ROOT, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-failver-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const root = join(tmp, 'root');
const ID = 'dev-3';
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;

/** The fixture's control script, counting each start and stop in <root>/<action>-<version>. */
function counting(opts: Parameters<typeof controlScript>[0] = {}): string {
  return controlScript(opts)
    .replace('  start)\n', '  start)\n    echo x >> "$here/../../../start-$(basename "$here")"\n')
    .replace('  stop)\n', '  stop)\n    echo x >> "$here/../../../stop-$(basename "$here")"\n');
}
const count = (action: string, version: string) => {
  try {
    return readFileSync(join(root, `${action}-${version}`), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
const yamlFor = (b: BuiltPackage) => packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' });
const servicePid = (version: string) => appServicePid(root, version);
const detail = () => deviceDetail(meta.url, meta.adminToken, ID);

before(async () => {
  const v1 = buildPackage('app', '1.0', art, { control: counting() });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': yamlFor(v1) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
  // --retry-failed 1s: before, a failed start was tried again after 1 s, 2 s, 4 s…
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: ID, args: ['--stop-on-exit', '--retry-failed', '1s', '--check-interval', '1s'] });
  await waitFor(async () => (await detail())?.condition === 'InSync', 'app 1.0 in sync', 60_000);
});

after(async () => {
  await agent?.close();
  for (const v of ['1.0', '2.0', '2.1']) if (alive(servicePid(v))) process.kill(servicePid(v), 'SIGKILL');
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: a version that cannot start', () => {
  it('is Failed with step, exit code and output, rolled back once, not retried in a loop; drover retry tries once more', async () => {
    const bad = buildPackage('app', '2.0', art, { control: counting({ startFails: true }) });
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(bad) });
    const d = await waitFor(async () => {
      const x = await detail();
      return x?.condition === 'Failed' ? x : null;
    }, 'the device Failed', 60_000);
    assert.equal(d.reason, 'StartFailed', d.message);
    assert.match(d.message, /start failed, exit code 3, rolled back to 1\.0/);
    const r = d.packages[0].report;
    assert.equal(r.failure.step, 'start');
    assert.equal(r.failure.exitCode, 3);
    assert.match(r.outputTail, /cannot bind port 8080/);
    assert.equal(r.version, '1.0');
    assert.equal(r.state, 'started');
    assert.ok(alive(servicePid('1.0')));

    // A window in which the old agent had tried 2.0 again three times (each stopping 1.0 first).
    const until = Date.now() + 8_000;
    await waitFor(() => Date.now() > until || count('start', '2.0') > 1, 'the window', 90_000);
    assert.equal(count('start', '2.0'), 1, '2.0 is not tried again by itself');
    assert.equal(count('stop', '1.0'), 1, '1.0 was stopped once, for the one attempt');
    assert.equal((await detail()).condition, 'Failed');

    // An operator asks for a retry: exactly one more attempt, Failed again.
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'cli/main.ts'), 'retry', ID, 'app', '--meta', meta.url], {
      cwd: ROOT,
      env: { ...process.env, DROVER_ADMIN_TOKEN: meta.adminToken },
    });
    assert.match(stdout, /dev-3: retry requested for app/);
    await waitFor(() => count('start', '2.0') === 2, 'the retry', 60_000);
    await waitFor(async () => {
      const x = await detail();
      return x?.condition === 'Failed' && x.packages[0].report.failure?.attempts === 2;
    }, 'Failed again after the retry', 60_000);
    assert.ok(alive(servicePid('1.0')));
  });

  it('a fixed version converges at once (a new desired form)', async () => {
    const fixed = buildPackage('app', '2.1', art, { control: counting() });
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(fixed) });
    await waitFor(async () => (await detail())?.condition === 'InSync', '2.1 in sync', 60_000);
    assert.ok(alive(servicePid('2.1')));
  });

  it('the retry endpoint refuses unknown devices and packages', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${meta.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${meta.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post('/v1/devices/nope/retry', {})).status, 404);
    assert.equal((await post(`/v1/devices/${ID}/retry`, { package: 'nope' })).status, 404);
    const ok = await post(`/v1/devices/${ID}/retry`, {});
    assert.equal(ok.status, 200);
    assert.deepEqual(((await ok.json()) as { packages: string[] }).packages, ['app']);
  });
});

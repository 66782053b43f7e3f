// End to end: `artifacts: { via: meta }` in fleet.yaml. Agents that reach nothing but meta
// download through its cache (GET /v1/artifacts/{sha256} with their token); the upstream is
// fetched once for two devices.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { packageYaml, reported, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { alive, buildPackage, controlScript, waitFor } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-via-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
let server: ArtifactServer;
let meta: MetaHandle;
const agents: AgentProcess[] = [];

before(async () => {
  const b = buildPackage('app', '1.0', art, { control: controlScript() });
  server = await startArtifactServer(art);
  writeFleet(fleet, {
    'fleet.yaml': 'name: e2e\nheartbeat: 30s\nartifacts:\n  via: meta\n',
    'packages/app.yaml': packageYaml({ name: 'app', version: '1.0', url: `${server.url}/app-1.0.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' }),
  });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
  for (const id of ['via-1', 'via-2']) agents.push(startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(tmp, id), id, args: ['--stop-on-exit'] }));
});

after(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: artifacts through meta', () => {
  it('both devices install from meta; the upstream is fetched once', async () => {
    for (const id of ['via-1', 'via-2']) {
      await waitFor(async () => (await reported(meta.url, meta.adminToken, id, 'app'))?.state === 'started', `${id} started`, 90_000);
      const pid = Number(readFileSync(join(tmp, id, 'packages/app/1.0/run.pid'), 'utf8'));
      assert.ok(alive(pid));
    }
    assert.equal(server.requests.filter((r) => r.startsWith('GET /app-1.0.tar.gz')).length, 1, server.requests.join('\n'));
  });
});

// Moving device by device: one device still on the (faithfully doubled) Open-Falcon updater, one on
// drover's agent, both served by the same meta from the same fleet repository with
// `artifacts: { via: meta }`. Both converge; each artifact leaves the upstream mirror once (the
// agent fetches /v1/artifacts/{sha256} and /v1/artifacts/md5/{md5} with its token, the updater the
// legacy tarball and .md5 paths).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { buildPackage, controlScript, type BuiltPackage } from '../../agent/fixtures.js';
import { ROOT, startMetaInProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { startUpstream, type Upstream } from '../artifacts/upstream-server.js';

const run = promisify(execFile);
let root: string;
let mirror: Upstream;
let meta: MetaHandle;
let agent: AgentProcess | undefined;
let demo: BuiltPackage;
let tool: BuiltPackage;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-mixed-'));
  demo = buildPackage('demo', '2.0.0', join(root, 'dist'), { control: controlScript(), README: 'demo 2.0.0\n' });
  tool = buildPackage('tool', '0.1.0', join(root, 'dist'), { control: controlScript(), README: 'tool 0.1.0\n' });
  mirror = await startUpstream({ '/m/demo-2.0.0.tar.gz': readFileSync(demo.file), '/m/tool-0.1.0.tar.gz': readFileSync(tool.file) });
  writeFleet(join(root, 'fleet'), {
    'fleet.yaml': 'name: mixed\nheartbeat: 30s\nartifacts: { via: meta }\ndefaults: { controlTimeout: 10s }\n',
    'packages/demo.yaml': `version: "2.0.0"\nartifact: { url: "${mirror.url}/m/demo-2.0.0.tar.gz", sha256: "${demo.sha256}" }\n`,
    // a legacy package with only an md5
    'packages/tool.yaml': `version: "0.1.0"\nartifact: { url: "${mirror.url}/m/tool-0.1.0.tar.gz", md5: "${tool.md5}" }\n`,
  });
  meta = await startMetaInProcess({ repo: join(root, 'fleet'), args: ['--max-lag', '30s'] });
});

after(async () => {
  await agent?.close();
  for (const dir of [join(root, 'updater', 'demo', '2.0.0'), join(root, 'updater', 'tool', '0.1.0'), join(root, 'agent', 'packages', 'demo', 'current'), join(root, 'agent', 'packages', 'tool', 'current')]) {
    if (existsSync(join(dir, 'control'))) execFileSync(join(dir, 'control'), ['stop'], { cwd: dir });
  }
  await meta?.stop();
  await mirror?.close();
  rmSync(root, { recursive: true, force: true });
});

async function condition(id: string): Promise<string | null> {
  const r = await fetch(`${meta.url}/v1/devices/${id}`, { headers: { authorization: `Bearer ${meta.adminToken}` } });
  return r.ok ? ((await r.json()) as { condition: string }).condition : null;
}

test('a legacy updater and drover\'s agent converge side by side through meta\'s artifact cache', async () => {
  agent = startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root: join(root, 'agent'), id: 'new-01' });
  const updater = () =>
    run('bash', [join(ROOT, 'test/helpers/ops-updater.sh'), '--server', new URL(meta.url).host, '--root', join(root, 'updater'), '--hostname', 'old-01', '--cycles', '1'], {
      env: { ...process.env, OPS_UPDATER_SETTLE: '0.3' },
      timeout: 60_000,
    });
  await updater(); // installs and starts both
  await updater(); // reports them
  let last: [string | null, string | null] = [null, null];
  for (let i = 0; i < 300; i++) {
    last = [await condition('old-01'), await condition('new-01')];
    if (last[0] === 'InSync' && last[1] === 'InSync') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(last, ['InSync', 'InSync'], agent.output().slice(-3000));
  assert.equal(mirror.hits.get('/m/demo-2.0.0.tar.gz'), 1);
  assert.equal(mirror.hits.get('/m/tool-0.1.0.tar.gz'), 1);
  assert.deepEqual(readdirSync(join(root, 'updater')).sort(), ['demo', 'tool']);
  assert.equal(readFileSync(join(root, 'updater', 'tool', '.version'), 'utf8'), '0.1.0');
});

// Failover: two metas (real processes) on one PostgreSQL, four real agents each given both metas
// (`--meta URL1,URL2`, half of them in the other order). In the middle of a staged command
// rollout the leader meta is killed with SIGKILL: the agents carry on with the other meta, which
// takes over the decisions; the rollout finishes, each step released once, and every device's
// result is there.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { startGitServer, type GitServer } from '../../helpers/git-server.js';
import { haproxyMissing } from '../../helpers/haproxy-server.js';
import { startMetaCluster, type MetaCluster } from '../../helpers/meta-cluster.js';
import { getJson } from '../../helpers/meta-process.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

const DEVICES = ['dev-a1', 'dev-a2', 'dev-b1', 'dev-b2'];
const skip = postgresMissing() ?? haproxyMissing() ?? false;

describe('several metas on PostgreSQL: failover', { skip }, () => {
  let pg: PostgresServer;
  let git: GitServer;
  let cluster: MetaCluster;
  const tmp = mkdtempSync(join(tmpdir(), 'drover-failover-'));
  const agents: AgentProcess[] = [];
  before(async () => {
    pg = await startPostgres();
    git = await startGitServer();
    const fleet = join(tmp, 'fleet');
    writeFleet(fleet, {
      'fleet.yaml': 'name: failover\nheartbeat: 5s\n',
      'control.yaml':
        'commands:\n  - name: probe\n    run: sleep 1; echo ok\n    timeout: 30s\n    select: { labels: { role: web } }\n' +
        '    rollout: { steps: [1, 2, 100%], maxFailures: 0 }\n',
    });
    const repo = git.createRepo('fleet', fleet);
    cluster = await startMetaCluster({ pg, repo: repo.url, args: ['--fetch-interval', '2s', '--max-lag', '60s'] });
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await cluster?.stop();
    await git?.close();
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a meta killed mid-rollout: agents carry on with the other, the rollout finishes once, no result lost', async () => {
    const [m1, m2] = cluster.metas;
    const leaderOf = () => cluster.metas.find((m) => /now takes the fleet-wide decisions/.test(m.output()));
    const leader = await until('a leader', async () => leaderOf());
    const survivor = leader === m1 ? m2! : m1!;
    for (const id of DEVICES) {
      const urls = id.startsWith('dev-a') ? [m1!.url, m2!.url] : [m2!.url, m1!.url];
      agents.push(startAgentProcess({ metaUrl: urls.join(','), token: m1!.agentToken, root: join(tmp, id), id, labels: 'role=web' }));
    }
    const rollout = async (m: typeof m1) => (await getJson(m!.url, '/v1/rollouts', m!.adminToken)).body.rollouts[0] as { state: string; released: number; selected: number; key: string };
    // Mid-rollout: the first step is out (at least one device got the command), the last is not.
    await until('the rollout under way', async () => {
      const r = await rollout(leader);
      return r && r.released >= 1 && r.state === 'running';
    });
    leader.child.kill('SIGKILL');
    await new Promise((r) => leader.child.once('exit', r));

    // The survivor takes over and the rollout finishes on every device. Every view it serves on the
    // way is watched: none may say the rollout is done before every device is released (a survivor
    // that has not loaded the shared state yet must not present a plan of its own).
    const views: { state: string; released: number; selected: number }[] = [];
    let done: Awaited<ReturnType<typeof rollout>> | undefined;
    for (const deadline = Date.now() + 120_000; !done && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const r = await rollout(survivor).catch(() => undefined);
      if (r) views.push({ state: r.state, released: r.released, selected: r.selected });
      if (r?.state === 'done') done = r;
    }
    assert.ok(done, `the rollout done on the surviving meta (views: ${JSON.stringify(views.slice(-20))})`);
    const early = views.filter((v) => v.state === 'done' && v.released < DEVICES.length);
    assert.deepEqual(early, [], `views on the survivor: ${JSON.stringify(views)}`);
    assert.equal(done.released, DEVICES.length);
    for (const id of DEVICES) {
      const d = await until(`${id}'s result on the surviving meta`, async () => {
        const res = await getJson(survivor.url, `/v1/devices/${id}`, survivor.adminToken);
        const probe = (res.body.commands as { name: string; status: string }[] | undefined)?.find((c) => c.name === 'probe');
        return probe?.status === 'succeeded' ? res.body : null;
      });
      assert.equal(d.condition, 'InSync', `${id}: ${JSON.stringify(d.reason)}`);
    }
    // Each device ran the command once.
    for (const a of agents) assert.equal((a.output().match(/"msg":"command starting"/g) ?? []).length <= 1, true, a.output().slice(-2000));
    // Every release was decided once across both metas: the devices released add up to the fleet
    // (two metas deciding would release devices twice over). Steps grow with the fleet as agents register.
    const lines = cluster.metas.flatMap((m) => m.output().split('\n').filter((l) => l.includes('rollout step released')).map((l) => JSON.parse(l) as { step: number; newly: number }));
    assert.equal(lines.reduce((n, l) => n + l.newly, 0), DEVICES.length, JSON.stringify(lines));
    assert.ok(/now takes the fleet-wide decisions/.test(survivor.output()), 'the surviving meta took over the decisions');
  });
});

// A staged package rollout with devices moving between metas: two metas (real processes) on one
// PostgreSQL, four real agents, each behind a proxy of its own that sends every heartbeat to the
// next meta in turn. Version 1.0 is installed through meta A alone: A sets every device's package
// baseline while B, running since before, is a revision behind (its fetch lags: it has not seen the
// package yet, so it never computed these devices' documents with it). Then 2.0 is staged on both
// (steps 1, 2, 100%, maxFailures 0) and the devices alternate between B and A: each step is released
// once, a device gets 2.0 only once released and then exactly once, the failure of the second step
// pauses the rollout on both metas, and the devices not released never see 2.0, whichever meta they
// ask. Before baselines came from the store, B (leader or not) served 2.0 to every device at once.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageYaml, startAgentProcess, writeFleet, type AgentProcess } from '../../agent/agent-process.js';
import { buildPackage, waitFor, type BuiltPackage } from '../../agent/fixtures.js';
import { startAlternatingProxy, type AlternatingProxy } from '../../helpers/alternating-proxy.js';
import { startArtifactServer, type ArtifactServer } from '../../helpers/artifact-server.js';
import { getJson, startMetaProcess } from '../../helpers/meta-process.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../../helpers/postgres-server.js';

type Meta = Awaited<ReturnType<typeof startMetaProcess>>;
const DEVICES = ['dev-1', 'dev-2', 'dev-3', 'dev-4'];
const FLEET = 'name: moving\nheartbeat: 2s\nkeepVersions: 2\n';

/**
 * The package's control script: counts each start per version in <root>/start-VERSION; 2.0 starts
 * only once the test wrote the device's verdict (<root>/verdict: ok or fail), so the test decides
 * which released device succeeds (the first) and which fail (every later one).
 */
function control(gated: boolean): string {
  return `#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
dev=$(cd "$here/../../.." && pwd)
pidfile="$here/run.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$1" in
  start)
    echo x >> "$dev/start-$(basename "$here")"
    ${gated ? `for i in $(seq 1 900); do [ -f "$dev/verdict" ] && break; sleep 0.1; done
    if [ "$(cat "$dev/verdict" 2>/dev/null)" != ok ]; then echo "2.0 refuses to start here"; exit 3; fi` : ''}
    running && exit 0
    setsid sleep 600 >/dev/null 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo started ;;
  stop)
    running && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    echo stoped ;;
  status) if running; then echo started; else echo stoped; fi ;;
esac
`;
}

interface RolloutView { key: string; state: string; pauseReason: string | null; released: number; succeeded: number; failing: { deviceId: string }[] }

describe('several metas on PostgreSQL: a package rollout with devices moving between metas', { skip: postgresMissing() ?? false }, () => {
  let pg: PostgresServer;
  let server: ArtifactServer;
  const tmp = mkdtempSync(join(tmpdir(), 'drover-pkg-moving-'));
  // Each meta reads its own copy of the repository (as each fetches it itself): B's lags behind A's.
  const fleets = [join(tmp, 'fleet-a'), join(tmp, 'fleet-b')];
  const art = join(tmp, 'artifacts');
  const metas: Meta[] = [];
  const proxies: AlternatingProxy[] = [];
  const agents: AgentProcess[] = [];
  const rootOf = (id: string) => join(tmp, id);
  const yamlFor = (b: BuiltPackage) =>
    packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, pidFile: 'run.pid', timeout: '120s', extra: 'rollout: { steps: [1, 2, 100%], maxFailures: 0 }' });

  before(async () => {
    pg = await startPostgres();
    const storeFile = join(tmp, 'store-url');
    writeFileSync(storeFile, (await pg.createDatabase()) + '\n', { mode: 0o600 });
    const v1 = buildPackage('app', '1.0', art, { control: control(false) });
    server = await startArtifactServer(art);
    writeFleet(fleets[0]!, { 'fleet.yaml': FLEET, 'packages/app.yaml': yamlFor(v1) });
    writeFleet(fleets[1]!, { 'fleet.yaml': FLEET });
    // Both metas run from the start: B hears of the baselines A sets through the store alone.
    const args = ['--store-file', storeFile, '--flush-interval', '100ms', '--debounce', '100ms', '--max-lag', '60s'];
    for (const repo of fleets) metas.push(await startMetaProcess({ repo, timeoutMs: 120_000, args }));
  });
  after(async () => {
    await Promise.all(agents.map((a) => a.close()));
    for (const p of proxies) await p.close();
    for (const m of metas) await m.stop();
    await server?.close();
    await pg?.stop();
    for (const id of DEVICES) {
      for (const v of ['1.0', '2.0']) {
        try {
          process.kill(Number(readFileSync(join(rootOf(id), 'packages/app', v, 'run.pid'), 'utf8')), 'SIGKILL');
        } catch {
          /* not running */
        }
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  const starts = (id: string, version: string): number => {
    try {
      return readFileSync(join(rootOf(id), `start-${version}`), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const rolloutOf = async (m: Meta, version: string): Promise<RolloutView | undefined> =>
    ((await getJson(m.url, '/v1/rollouts', m.adminToken)).body.rollouts as RolloutView[] | undefined)?.find((r) => r.key.includes(`app@${version}`));
  const served = async (m: Meta, id: string): Promise<{ etag: string; version: string | undefined }> => {
    const body = (await getJson(m.url, `/v1/devices/${id}/desired`, m.adminToken)).body as { etag: string; desired: { packages: { name: string; version: string }[] } };
    return { etag: body.etag, version: body.desired.packages.find((p) => p.name === 'app')?.version };
  };
  const released = (version: string) =>
    metas.flatMap((m) => m.output().split('\n').filter((l) => l.includes('rollout step released') && l.includes(`app@${version}`)).map((l) => JSON.parse(l) as { step: number; newly: number }));

  it('releases each step once, each device gets 2.0 once and only when released, the pause holds on both metas', async () => {
    const [a, b] = metas as [Meta, Meta];
    // 1.0 through meta A alone: A sets every device's baseline.
    for (const id of DEVICES) {
      const p = await startAlternatingProxy([a.url]);
      proxies.push(p);
      agents.push(startAgentProcess({ metaUrl: p.url, token: a.agentToken, root: rootOf(id), id, args: ['--check-interval', '1s'] }));
    }
    for (const id of DEVICES) await waitFor(() => starts(id, '1.0') === 1 && existsSync(join(rootOf(id), 'packages/app/1.0/run.pid')), `${id} running 1.0`, 120_000);

    // 2.0 staged; once both metas serve it, every device moves between B and A at each heartbeat.
    const v2 = buildPackage('app', '2.0', art, { control: control(true) });
    for (const dir of fleets) writeFleet(dir, { 'fleet.yaml': FLEET, 'packages/app.yaml': yamlFor(v2) });
    for (const m of metas) await waitFor(() => rolloutOf(m, '2.0'), 'both metas serving the 2.0 rollout', 60_000);
    const revisions = await Promise.all(metas.map(async (m) => (await getJson(m.url, '/v1/rollouts', m.adminToken)).body.revision as string));
    assert.equal(revisions[0], revisions[1], 'both metas serve the same revision');
    for (const p of proxies) p.targets = [b.url, a.url];

    // The first device to start 2.0 succeeds, every later one fails: the second step pauses the rollout.
    let first: string | null = null;
    const verdicts = new Map<string, string>();
    const paused = async () => {
      for (const id of DEVICES) {
        if (starts(id, '2.0') > 0 && !verdicts.has(id)) {
          const v = first === null ? 'ok' : 'fail';
          first ??= id;
          verdicts.set(id, v);
          writeFileSync(join(rootOf(id), 'verdict'), v);
        }
      }
      const views = await Promise.all(metas.map((m) => rolloutOf(m, '2.0')));
      return views.every((v) => v?.state === 'paused') ? views : null;
    };
    const views = await waitFor(paused, 'the 2.0 rollout paused on both metas', 180_000, 200);
    // Devices keep moving between the metas for a while (several heartbeats each): nothing more is released.
    const before = new Map([...proxies].map((p) => [p, [...p.forwarded.values()].reduce((x, y) => x + y, 0)]));
    await waitFor(() => proxies.every((p) => [...p.forwarded.values()].reduce((x, y) => x + y, 0) >= before.get(p)! + 4), 'more heartbeats to both metas', 60_000, 200);

    const got = DEVICES.filter((id) => starts(id, '2.0') > 0);
    assert.equal(got.length, 2, `devices that got 2.0: ${JSON.stringify(got)}; verdicts ${JSON.stringify([...verdicts])}; released ${JSON.stringify(released('2.0'))}`);
    for (const view of views) {
      assert.equal(view!.pauseReason, 'failures');
      assert.equal(view!.released, 2);
      assert.equal(view!.succeeded, 1);
      assert.deepEqual(view!.failing.map((f) => f.deviceId), got.filter((id) => id !== first));
    }
    // Each step released once (by whichever meta led), one device each.
    assert.deepEqual(released('2.0').map((r) => [r.step, r.newly]), [[0, 1], [1, 1]]);
    for (const id of DEVICES) {
      if (got.includes(id)) {
        // Got 2.0 exactly once: started once; the one that succeeded never went back to 1.0.
        assert.equal(starts(id, '2.0'), 1, id);
        assert.equal(starts(id, '1.0'), id === first ? 1 : 2, `${id}: 1.0 started again only by the rollback of its failure`);
      } else {
        assert.equal(existsSync(join(rootOf(id), 'packages/app/2.0')), false, `${id} was never released but got 2.0`);
        assert.equal(starts(id, '1.0'), 1, id);
      }
      // Both metas serve the same document to each device.
      const [sa, sb] = [await served(a, id), await served(b, id)];
      assert.deepEqual(sa, sb, id);
      assert.equal(sa.version, got.includes(id) ? '2.0' : '1.0', id);
    }
    for (const p of proxies) assert.ok((p.forwarded.get(new URL(b.url).origin) ?? 0) > 0, 'the device asked meta B too');
  });
});

// End to end, SIGKILL of the agent while a slow, racy control script runs (it checks "running",
// then takes seconds to start the service): during `start`, during `stop` and during the switch
// to a new version. The restarted agent first ends the script its previous life left running,
// then runs the step again: never two copies of the service, never one that should be stopped.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { deviceDetail, packageYaml, startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { buildPackage, waitFor, type BuiltPackage } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-e2e-crashctl-'));
const art = join(tmp, 'artifacts');
const fleet = join(tmp, 'fleet');
const root = join(tmp, 'root');
const ID = 'dev-crash';
const SLOW_S = 10;
let server: ArtifactServer;
let meta: MetaHandle;
let agent: AgentProcess;

/** Racy on purpose: "running?" first, then a slow start; the service is `sleep 600` out of the group. */
const RACY = `#!/usr/bin/env bash
here=$(cd "$(dirname "$0")" && pwd)
pidfile="$here/run.pid"
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }
case "$1" in
  start)
    running && { echo started; exit 0; }
    echo x >> "$here/../../../starting"
    sleep ${SLOW_S}
    setsid sleep 600 >/dev/null 2>&1 < /dev/null &
    echo $! > "$pidfile"
    echo started ;;
  stop)
    echo x >> "$here/../../../stopping"
    sleep ${SLOW_S}
    running && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
    echo stoped ;;
  status) if running; then echo started; else echo stoped; fi ;;
esac
`;

const lines = (file: string) => {
  try {
    return readFileSync(join(root, file), 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};
/** The service's processes: `sleep 600` started from a version folder under the root. */
function services(): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8') !== 'sleep\0' + '600\0') continue;
      if (!readlinkSync(`/proc/${e}/cwd`).startsWith(join(root, 'packages'))) continue;
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      if (!/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}
const yamlFor = (b: BuiltPackage, state = 'started') =>
  packageYaml({ name: 'app', version: b.version, url: `${server.url}/${b.name}-${b.version}.tar.gz`, sha256: b.sha256, pidFile: 'run.pid', timeout: '30s', state });
const detail = () => deviceDetail(meta.url, meta.adminToken, ID);
const start = () => startAgentProcess({ metaUrl: meta.url, token: meta.agentToken, root, id: ID, args: ['--check-interval', '1s'] });
const inSync = (what: string) => waitFor(async () => (await detail())?.condition === 'InSync', what, 180_000);
/** Long enough for a script the crash left behind to finish its slow step, had it not been ended. */
const window = async () => {
  const until = Date.now() + (SLOW_S + 2) * 1000;
  await waitFor(() => Date.now() > until, 'the window', 30_000, 250);
};

let v1: BuiltPackage;
before(async () => {
  v1 = buildPackage('app', '1.0', art, { control: RACY });
  server = await startArtifactServer(art);
  writeFleet(fleet, { 'packages/app.yaml': yamlFor(v1) });
  meta = await startMetaInProcess({ repo: fleet, args: ['--debounce', '100ms'] });
});

after(async () => {
  await agent?.kill9();
  for (const pid of services()) process.kill(pid, 'SIGKILL');
  await meta?.stop();
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('agent end to end: SIGKILL while a control script runs', () => {
  it('during start: one copy of the service', async () => {
    agent = start();
    await waitFor(() => lines('starting') === 1, 'start under way', 120_000, 50);
    await agent.kill9();
    agent = start();
    await inSync('1.0 in sync after the restart');
    await window();
    assert.equal(services().length, 1, `one service, got ${services().join(', ')} (starts: ${lines('starting')})`);
  });

  it('during stop: none left running', async () => {
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(v1, 'stopped') });
    const stops = lines('stopping');
    await waitFor(() => lines('stopping') > stops, 'stop under way', 120_000, 50);
    await agent.kill9();
    agent = start();
    await waitFor(async () => {
      const d = await detail();
      return d?.condition === 'InSync' && d.packages[0]?.report?.state === 'stopped';
    }, '1.0 stopped after the restart', 180_000);
    await window();
    assert.deepEqual(services(), []);
  });

  it('during the switch to a new version: one copy, of the new version', async () => {
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(v1) });
    await waitFor(async () => {
      const d = await detail();
      return d?.condition === 'InSync' && d.packages[0]?.report?.state === 'started';
    }, '1.0 started again', 180_000);
    assert.equal(services().length, 1);
    const v2 = buildPackage('app', '2.0', art, { control: RACY });
    const starts = lines('starting');
    writeFleet(fleet, { 'packages/app.yaml': yamlFor(v2) });
    await waitFor(() => lines('starting') > starts, '2.0 start under way', 90_000, 50);
    await agent.kill9();
    agent = start();
    await waitFor(async () => {
      const d = await detail();
      return d?.condition === 'InSync' && d.packages[0]?.report?.version === '2.0';
    }, '2.0 in sync after the restart', 180_000);
    await window();
    const left = services();
    assert.equal(left.length, 1, `one service, got ${left.join(', ')}`);
    assert.equal(readlinkSync(`/proc/${left[0]}/cwd`), join(root, 'packages/app/2.0'));
  });
});

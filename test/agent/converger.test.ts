// The converger with real tarballs (file:// URLs), real control scripts and real processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, silentLogger } from '../../lib/log.js';
import { Converger } from '../../agent/converger.js';
import { ensureLayout, layoutOf } from '../../agent/layout.js';
import { LocalStore } from '../../agent/local-store.js';
import { planSteps } from '../../agent/plan-steps.js';
import { buildReports } from '../../agent/report.js';
import { Supervisor } from '../../agent/supervisor.js';
import type { DesiredDocument, DesiredPackage } from '../../specs/wire/desired.js';
import { alive, buildExample, buildPackage, controlScript, desiredFor, waitFor, type BuiltPackage } from './fixtures.js';

const log = process.env.DEBUG_AGENT ? createLogger({ name: 'test', level: 'debug' }) : silentLogger();
const tmp = mkdtempSync(join(tmpdir(), 'drover-conv-'));
const art = join(tmp, 'artifacts');
const doc = (...packages: DesiredPackage[]): DesiredDocument => ({ packages, commands: [], heartbeatMs: 60_000 });

function makeAgent(name: string) {
  const layout = layoutOf(join(tmp, name));
  ensureLayout(layout);
  const store = new LocalStore(layout, log);
  const supervisor = new Supervisor({ logDir: layout.logs, log, onChange: (n, r) => store.pkg(n) && store.updatePkg(n, (p) => void (p.supervised = r)) });
  const converger = new Converger({
    layout, store, supervisor, log, metaUrl: 'http://127.0.0.1:9', token: null,
    download: { maxBytes: 50 << 20, connectTimeoutMs: 2000, idleTimeoutMs: 2000, retries: 0 },
    unpack: { maxBytes: 50 << 20, maxEntries: 1000 },
    retry: { baseMs: 60_000, maxMs: 60_000 },
    settleMs: 500,
    now: () => Date.now(),
    onPhase: () => {},
  });
  const apply = async (d: DesiredDocument) => {
    converger.setDesired(d, `etag-${Math.random()}`);
    await converger.idle();
  };
  return { layout, store, supervisor, converger, apply };
}

const helloPid = (layout: ReturnType<typeof layoutOf>, version: string) =>
  Number(readFileSync(join(layout.versionDir('hello-service', version), 'var/hello-service.pid'), 'utf8'));

let h10: BuiltPackage, h11: BuiltPackage;
const cleanups: (() => Promise<void> | void)[] = [];

before(() => {
  h10 = buildExample('hello-service', '1.0.0', art);
  h11 = buildExample('hello-service', '1.1.0', art);
});
after(async () => {
  for (const c of cleanups.reverse()) await c();
  rmSync(tmp, { recursive: true, force: true });
});

describe('converger with control scripts', () => {
  it('installs, upgrades, downgrades, stops, starts and removes hello-service', async () => {
    const a = makeAgent('hello');
    const hello = (b: BuiltPackage, over: Partial<DesiredPackage> = {}) => desiredFor(b, { pidFile: 'var/hello-service.pid', ...over });
    cleanups.push(() => a.apply(doc()));

    await a.apply(doc(hello(h10)));
    const p1 = helloPid(a.layout, '1.0.0');
    assert.ok(alive(p1), 'hello-service 1.0.0 runs');
    assert.equal(readlinkSync(join(a.layout.packageDir('hello-service'), 'current')), '1.0.0');
    assert.deepEqual(planSteps(doc(hello(h10)), a.store.get(), { now: Date.now() }), []);

    await a.apply(doc(hello(h11)));
    const p2 = helloPid(a.layout, '1.1.0');
    assert.ok(alive(p2) && !alive(p1), 'upgrade: new runs, old stopped');
    assert.deepEqual(a.store.pkg('hello-service')!.installed, ['1.0.0', '1.1.0']);
    assert.equal(existsSync(a.layout.download('hello-service', '1.1.0')), false, 'tarball removed after unpack');

    await a.apply(doc(hello(h10)));
    assert.ok(alive(helloPid(a.layout, '1.0.0')) && !alive(p2), 'downgrade to the kept version');

    await a.apply(doc(hello(h10, { state: 'stopped' })));
    assert.equal(a.store.pkg('hello-service')!.running, false);
    assert.ok(!existsSync(join(a.layout.versionDir('hello-service', '1.0.0'), 'var/hello-service.pid')));

    await a.apply(doc(hello(h10)));
    const p3 = helloPid(a.layout, '1.0.0');
    assert.ok(alive(p3));
    const reports = buildReports({ desired: doc(hello(h10)), local: a.store.get(), inFlight: new Map(), supervisor: a.supervisor, layout: a.layout, now: Date.now() });
    assert.deepEqual(reports.map((r) => [r.name, r.version, r.state, r.phase, r.pid]), [['hello-service', '1.0.0', 'started', 'idle', p3]]);

    await a.apply(doc(hello(h10, { state: 'absent' })));
    assert.ok(!alive(p3));
    assert.equal(existsSync(a.layout.packageDir('hello-service')), false);
    assert.equal(a.store.pkg('hello-service'), undefined);
  });

  it('rolls back when the new version does not start, reports the output, and does not retry in a hot loop', async () => {
    const a = makeAgent('rollback');
    const good = buildPackage('app', '1.0', art, { control: controlScript() });
    const bad = buildPackage('app', '2.0', art, { control: controlScript({ startFails: true }) });
    cleanups.push(() => a.apply(doc()));
    await a.apply(doc(desiredFor(good, { pidFile: 'run.pid' })));
    await a.apply(doc(desiredFor(bad, { pidFile: 'run.pid' })));
    const p = a.store.pkg('app')!;
    assert.equal(p.current, '1.0');
    assert.equal(p.running, true);
    assert.equal(p.failure?.version, '2.0');
    assert.equal(p.failure?.rolledBack, true);
    assert.match(p.failure?.outputTail ?? '', /cannot bind port 8080/);
    const same = desiredFor(bad, { pidFile: 'run.pid' });
    assert.deepEqual(planSteps(doc(same), a.store.get(), { now: Date.now() }), [], 'no retry before the backoff');
    assert.ok(p.failure!.retryAt - Date.now() > 50 * 60_000, 'a failed start is tried again after retryFailedAfter (1 h by default)');
    assert.equal(p.failure?.reason, 'StartFailed');
    assert.equal(p.failure?.exitCode, 3);
    assert.notDeepEqual(planSteps(doc(desiredFor(bad, { pidFile: 'run.pid', retryRequestedAt: 1 })), a.store.get(), { now: Date.now() }), [], 'a retry request is tried at once');
    assert.notDeepEqual(planSteps(doc(desiredFor(bad)), a.store.get(), { now: Date.now() }), [], 'a changed desired form is tried at once');
    const [r] = buildReports({ desired: doc(same), local: a.store.get(), inFlight: new Map(), supervisor: a.supervisor, layout: a.layout, now: Date.now() });
    assert.equal(r!.phase, 'rolledBack');
    assert.equal(r!.state, 'started');
    assert.equal(r!.version, '1.0');
    assert.equal(r!.targetVersion, '2.0');
    assert.match(r!.error ?? '', /START_FAILED/);
    assert.equal(r!.failure?.reason, 'StartFailed');
    assert.equal(r!.failure?.step, 'start');
    assert.equal(r!.failure?.exitCode, 3);
  });

  it('kills a control script that hangs on start, and stop kills the pid file group when stop hangs', async () => {
    const a = makeAgent('hang');
    const hangStop = buildPackage('svc', '1.0', art, { control: controlScript({ stopHangs: true }) });
    const hangStart = buildPackage('svc', '2.0', art, { control: controlScript({ startHangs: true }) });
    cleanups.push(() => a.apply(doc()));
    const rt = { control: { script: 'control', timeoutMs: 1500 }, pidFile: 'run.pid' };
    await a.apply(doc(desiredFor(hangStop, rt)));
    const pid = Number(readFileSync(join(a.layout.versionDir('svc', '1.0'), 'run.pid'), 'utf8'));
    assert.ok(alive(pid));
    await a.apply(doc(desiredFor(hangStart, rt)));
    assert.ok(!alive(pid), 'the service of 1.0 was killed through its pid file when stop hung');
    const p = a.store.pkg('svc')!;
    assert.equal(p.failure?.version, '2.0');
    assert.match(p.failure?.error ?? '', /timed out/);
    assert.match(p.failure?.outputTail ?? '', /starting, then hanging/);
    // Rolled back to 1.0 (whose start works): it runs again.
    assert.equal(p.current, '1.0');
    assert.equal(p.running, true);
  });

  it('refuses a checksum mismatch and an archive with ../evil: nothing installed, failure recorded', async () => {
    const a = makeAgent('unsafe');
    const good = buildPackage('app', '1.0', art, { control: controlScript() });
    await a.apply(doc(desiredFor(good, { artifact: { url: `file://${good.file}`, sha256: 'f'.repeat(64), via: 'upstream' } })));
    assert.equal(a.store.pkg('app')?.failure?.code, 'CHECKSUM_MISMATCH');
    assert.deepEqual(a.store.pkg('app')?.installed, []);
    assert.equal(existsSync(a.layout.versionDir('app', '1.0')), false);

    const evil = buildPackage('evil', '1.0', art, { control: controlScript(), evil: 'pwned' }, ['-P', '--transform', 's,^\\./evil$,../evil,']);
    await a.apply(doc(desiredFor(evil)));
    const f = a.store.pkg('evil')?.failure;
    assert.ok(f && /UNSAFE_ARCHIVE|BAD_ARCHIVE/.test(f.code), `refused: ${JSON.stringify(f)}`);
    assert.equal(existsSync(a.layout.versionDir('evil', '1.0')), false);
    assert.equal(existsSync(join(a.layout.packages, 'evil', 'evil')), false);
  });
});

describe('converger with supervised processes', () => {
  it('starts, restarts after a crash, reports and stops a run: package', async () => {
    const a = makeAgent('supervised');
    const me = buildExample('metrics-exporter', '0.3.0', art);
    const pkg = desiredFor(me, { control: null, run: { command: ['./metrics-exporter'], stopGraceMs: 2000, restartBackoffMs: 100, maxRestartBackoffMs: 1000 } });
    cleanups.push(() => a.apply(doc()));
    await a.apply(doc(pkg));
    const first = a.supervisor.info('metrics-exporter')!.pid!;
    assert.ok(first && alive(first));
    assert.equal(a.store.pkg('metrics-exporter')!.supervised?.pid, first);
    process.kill(first, 'SIGKILL');
    const second = await waitFor(() => {
      const i = a.supervisor.info('metrics-exporter');
      return i?.pid && i.pid !== first ? i.pid : null;
    }, 'a restart');
    const [r] = buildReports({ desired: doc(pkg), local: a.store.get(), inFlight: new Map(), supervisor: a.supervisor, layout: a.layout, now: Date.now() });
    assert.equal(r!.pid, second);
    assert.equal(r!.restarts, 1);
    assert.equal(r!.lastExit?.signal, 'SIGKILL');
    await a.apply(doc({ ...pkg, state: 'stopped' }));
    assert.ok(!alive(second));
    assert.equal(a.store.pkg('metrics-exporter')!.running, false);
  });

  it('a new agent re-adopts a running supervised process', async () => {
    const a = makeAgent('adopt');
    const me = buildExample('metrics-exporter', '0.3.0', art);
    const pkg = desiredFor(me, { control: null, run: { command: ['./metrics-exporter'], stopGraceMs: 2000, restartBackoffMs: 100, maxRestartBackoffMs: 1000 } });
    await a.apply(doc(pkg));
    const pid = a.supervisor.info('metrics-exporter')!.pid!;
    a.supervisor.detachAll();
    const rec = a.store.pkg('metrics-exporter')!.supervised!;
    const b = makeAgent('adopt'); // same root: a restarted agent
    cleanups.push(() => b.apply(doc()));
    assert.equal(await b.supervisor.adopt('metrics-exporter', rec, b.layout.versionDir('metrics-exporter', '0.3.0'), pkg.run!), true);
    assert.equal(b.supervisor.info('metrics-exporter')!.pid, pid);
    await b.supervisor.stop('metrics-exporter');
    assert.ok(!alive(pid));
  });
});

describe('local state recovery', () => {
  it('sweeps unpack leftovers and unrecorded folders, follows the current link, forgets vanished versions', () => {
    const layout = layoutOf(join(tmp, 'recover'));
    ensureLayout(layout);
    const dir = layout.packageDir('app');
    for (const v of ['1.0', '2.0', '3.0', '.3.0.unpack-abc']) mkdirSync(join(dir, v), { recursive: true });
    symlinkSync('2.0', join(dir, 'current'));
    const rt = { control: { script: 'control', timeoutMs: 1 }, run: null, pidFile: null };
    writeFileSync(join(layout.state, 'local.json'), JSON.stringify({
      format: 1, appliedEtag: null,
      packages: { app: { name: 'app', current: '1.0', installed: ['0.9', '1.0', '2.0'], running: true, runtime: rt, downloaded: null, pending: null, failure: null, supervised: null } },
    }));
    const store = new LocalStore(layout, log);
    const p = store.pkg('app')!;
    assert.deepEqual(p.installed, ['1.0', '2.0']);
    assert.equal(p.current, '2.0');
    assert.equal(p.running, null);
    assert.equal(existsSync(join(dir, '3.0')), false, 'unrecorded (half-recorded) unpack removed');
    assert.equal(existsSync(join(dir, '.3.0.unpack-abc')), false);
  });
});

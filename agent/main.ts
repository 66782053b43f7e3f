// Wires and starts the agent: local state (checked against the disk), supervised processes
// re-adopted, the last desired document applied at once, then the heartbeat loop and the
// periodic status check. `drover agent` (cli/agent.ts) runs it with cli/run-daemon.ts.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Cgroups } from '../control/cgroup.js';
import { ControlRuns } from '../control/control-runs.js';
import { openCommandJournal, type CommandJournal } from '../control/command-journal.js';
import { createCommandRunner } from '../control/command-runner.js';
import { errorMessage } from '../lib/errors.js';
import type { DesiredCommand, DesiredDocument } from '../specs/wire/desired.js';
import { createLogger, type Logger } from '../lib/log.js';
import type { AgentConfig } from './config.js';
import { checkDesired } from './check-desired.js';
import { Converger } from './converger.js';
import { loadDesired, saveDesired } from './desired-store.js';
import { collectFacts } from './facts.js';
import { createTlsAgent } from '../lib/tls-client.js';
import { createHeartbeatLoop, type HeartbeatLoop } from './heartbeat-loop.js';
import { Enroller } from './enroll/enroller.js';
import { ensureLayout, layoutOf } from './layout.js';
import { LocalStore } from './local-store.js';
import { buildReports, fitReports, type InFlight } from './report.js';
import { stopVersion, type ExecDeps } from './step-actions.js';
import { Supervisor } from './supervisor.js';
import { splitAgentPackage } from './self-update/agent-package.js';
import { launchBuild, type LaunchedBuild } from './self-update/launch-build.js';
import { SelfUpdater } from './self-update/self-updater.js';

export interface RunningAgent {
  /** Stops the loops (and the packages with --stop-on-exit); supervised processes are left to be re-adopted otherwise. */
  close(): Promise<void>;
  /** Converges now and sends a heartbeat. */
  poke(): void;
  /** A new token (SIGHUP read --token-file again), used from the next request on. */
  setToken(token: string | null): void;
  /** A new enrollment token (SIGHUP read --enroll-token-file again), for the next enrollment request. */
  setEnrollToken(token: string): void;
  readonly heartbeat: HeartbeatLoop;
  readonly store: LocalStore;
  readonly converger: Converger;
}

/** opts.argv: the agent's command-line options; with them, the agent upgrades itself (`kind: agent` packages). */
export async function startAgent(config: AgentConfig, opts: { log?: Logger; argv?: string[] } = {}): Promise<RunningAgent> {
  const log = opts.log ?? createLogger({ name: 'agent', level: config.logLevel });
  const layout = layoutOf(config.root);
  ensureLayout(layout);
  // Before anything runs a control script: end those the previous agent left running (a crash
  // mid-`start` must not leave that start racing its re-run: two copies of a service).
  const controlRuns = new ControlRuns(join(layout.state, 'control-runs'), log);
  const ended = await controlRuns.endLeftovers();
  if (ended.length) log.warn({ runs: ended.map((r) => `${r.pkg} ${r.version} ${r.action}`) }, 'control scripts interrupted by an agent restart were ended; their steps run again');
  const cgroups = Cgroups.open(config.cgroupRoot, log);
  const store = new LocalStore(layout, log);
  const inFlight = new Map<string, InFlight>();
  const abort = new AbortController();

  const supervisor = new Supervisor({
    logDir: layout.logs,
    log,
    onChange: (name, record) => {
      if (store.pkg(name)) store.updatePkg(name, (p) => void (p.supervised = record));
    },
  });
  // Processes supervised by the previous agent: re-adopt them, or clean up what is left.
  for (const p of Object.values(store.get().packages)) {
    if (!p.runtime?.run || !p.current) continue;
    const adopted = p.supervised ? await supervisor.adopt(p.name, p.supervised, layout.versionDir(p.name, p.current), p.runtime.run) : false;
    store.updatePkg(p.name, (q) => {
      q.running = adopted;
      if (!adopted) q.supervised = null;
    });
  }

  let heartbeat: HeartbeatLoop | undefined;
  let refusedEtag: string | null = null;
  const tlsAgent = createTlsAgent(config.tls);
  const deps: ExecDeps = {
    layout, store, supervisor, log,
    metaUrl: config.metaUrl,
    token: config.token,
    ...(tlsAgent ? { tlsAgent } : {}),
    download: { maxBytes: config.maxDownloadBytes, connectTimeoutMs: config.connectTimeoutMs, idleTimeoutMs: config.idleTimeoutMs, retries: config.downloadRetries },
    unpack: { maxBytes: config.maxUnpackedBytes, maxEntries: config.maxUnpackedEntries },
    retry: { baseMs: config.retryFailedMs, maxMs: 30 * 60_000 },
    settleMs: 1_000,
    now: () => Date.now(),
    onPhase: (name, phase, target) => {
      const before = inFlight.get(name)?.phase;
      if (phase === 'idle') inFlight.delete(name);
      else inFlight.set(name, { phase, target });
      if (before !== phase) heartbeat?.wake();
    },
    signal: abort.signal,
    controlRuns,
    cgroups,
  };
  // --enroll-token: heartbeats use this device's own credential, asked for with its own key.
  let enrollToken = config.enrollToken ?? '';
  const enroller = config.enrollToken
    ? new Enroller({
        root: config.root,
        metaUrls: config.metaUrls ?? [config.metaUrl],
        enrollToken: () => enrollToken,
        ...(tlsAgent ? { tlsAgent } : {}),
        device: { id: config.id, hostname: config.hostname || hostname(), labels: config.labels },
        backoff: { baseMs: config.backoffMs, maxMs: config.maxBackoffMs },
        log,
      })
    : null;
  if (enroller) deps.token = enroller.storedCredential();
  // Approved commands: run in the background by the command runner (at most once, journaled).
  // A command that repeats on a package's version change waits until that version is in place.
  const journal = await openCommandJournal({ stateDir: layout.state, log });
  const notifying: CommandJournal = {
    path: journal.path,
    recordStarted: async (id, name) => {
      const r = await journal.recordStarted(id, name);
      heartbeat?.wake();
      return r;
    },
    recordFinished: async (id, result) => {
      const r = await journal.recordFinished(id, result);
      heartbeat?.wake();
      return r;
    },
    lastRecord: (id) => journal.lastRecord(id),
    all: () => journal.all(),
    close: () => journal.close(),
  };
  const commands = createCommandRunner({ journal: notifying, stateDir: layout.state, maxConcurrent: config.commandConcurrency, cgroups, log: log.child({ component: 'commands' }) });
  const runnable = (doc: DesiredDocument): DesiredCommand[] =>
    doc.commands.filter((c) => {
      if (!c.repeat || !('onVersionChange' in c.repeat)) return true;
      const want = doc.packages.find((p) => p.name === (c.repeat as { onVersionChange: string }).onVersionChange);
      return !want || want.state === 'absent' || store.pkg(want.name)?.current === want.version;
    });
  const syncCommands = () => {
    const doc = converger.document;
    if (doc) commands.ready.then(() => commands.sync(runnable(doc)), () => undefined);
  };
  const converger = new Converger({
    ...deps,
    // Artifacts served by meta come from the meta heartbeats go to now (several metas: the one that answers).
    get metaUrl() {
      return heartbeat?.metaUrl ?? config.metaUrl;
    },
    onPassDone: () => {
      syncCommands();
      heartbeat?.wake();
    },
  });

  // The agent's own package goes to the self-updater, every other one to the converger.
  let selfUpdater: SelfUpdater | null = null;
  const applyDesired = (doc: DesiredDocument, etag: string) => {
    const { document, agent } = splitAgentPackage(doc);
    converger.setDesired(document, etag);
    selfUpdater?.set(agent);
  };

  let stored = loadDesired(layout.state, log);
  if (stored && checkDesired(stored.document).length) stored = null;
  if (stored) {
    log.info({ etag: stored.etag, revision: stored.revision }, 'applying the last desired document while meta is asked');
    applyDesired(stored.document, stored.etag);
    syncCommands();
  }

  const device = {
    id: config.id,
    hostname: config.hostname || hostname(),
    labels: config.labels,
    facts: collectFacts({ sshPort: config.sshPort }),
  };
  const heartbeatBody = () => {
    const self = selfUpdater?.report();
    return {
      device,
      etag: refusedEtag ?? stored?.etag ?? null,
      appliedEtag: store.get().appliedEtag,
      // Meta's default body limit is 1 MiB: long output tails are shortened to fit under it.
      ...fitReports(
        [...buildReports({ desired: converger.document, local: store.get(), inFlight, supervisor, layout, now: Date.now() }), ...(self ? [self] : [])],
        converger.document ? commands.reports(converger.document.commands) : [],
        900 * 1024,
      ),
    };
  };
  heartbeat = createHeartbeatLoop({
    metaUrl: config.metaUrls ?? config.metaUrl,
    // Read at each heartbeat: SIGHUP may replace it (setToken).
    get token() {
      return deps.token;
    },
    ...(tlsAgent ? { tlsAgent } : {}),
    initialDelayMs: config.initialDelayMs ?? stored?.heartbeatMs ?? config.heartbeatMs,
    intervalMs: stored?.heartbeatMs ?? config.heartbeatMs,
    jitter: 0.1,
    maxWaitSec: config.maxWaitSec,
    backoff: { baseMs: config.backoffMs, maxMs: config.maxBackoffMs },
    log,
    ...(enroller
      ? {
          onUnauthorized: async (message: string) => {
            log.warn({ err: message }, 'meta refused this device\'s credential; asking to be enrolled again');
            const credential = await enroller.enroll();
            if (credential) deps.token = credential;
          },
        }
      : {}),
    body: () => heartbeatBody(),
    onResponse: (res) => {
      if (!res.desired) return;
      const problems = checkDesired(res.desired);
      if (problems.length) {
        // Keep the last good document; meta shows the device as not converging to this etag.
        log.error({ etag: res.etag, problems }, 'refusing a desired document that is unsafe on this device');
        refusedEtag = res.etag; // held (so the long poll waits for the next change), never applied
        return;
      }
      refusedEtag = null;
      stored = { etag: res.etag, revision: res.revision, heartbeatMs: res.heartbeatMs, document: res.desired, receivedAt: new Date().toISOString() };
      log.info({ etag: res.etag, revision: res.revision, packages: res.desired.packages.length }, 'new desired document');
      // Applied first: a document that cannot be saved (a full disk) is still the one to converge
      // to, and a smaller version is often exactly what frees the disk.
      applyDesired(res.desired, res.etag);
      syncCommands();
      try {
        saveDesired(layout.state, stored);
      } catch (err) {
        log.error({ err: errorMessage(err) }, 'cannot save the desired document; applying it from memory');
      }
    },
  });
  let launched: LaunchedBuild | null = null;
  let closing = false;
  if (opts.argv) {
    const argv = opts.argv;
    selfUpdater = new SelfUpdater({
      root: config.root,
      argv,
      log,
      metaUrl: () => heartbeat!.metaUrl,
      token: () => deps.token,
      download: { maxBytes: config.maxDownloadBytes, connectTimeoutMs: config.connectTimeoutMs, idleTimeoutMs: config.idleTimeoutMs, retries: config.downloadRetries },
      trialTimeoutMs: 60_000,
      heartbeatBody,
      onChange: () => heartbeat?.wake(),
      onHandover: (file) => {
        // Packages keep running (the new build re-adopts them); this process stays as its parent.
        stopPackagesOnExit = false;
        void closeLoops().then(() => {
          if (closing) return;
          launched = launchBuild(file, argv);
          void launched.exited.then((code) => {
            if (!closing) process.exit(code);
          });
        });
      },
    });
    if (stored) selfUpdater.set(splitAgentPackage(stored.document).agent);
  }
  if (enroller && !deps.token) {
    // No credential yet: heartbeats start once meta accepts this device (the last desired document is applied meanwhile).
    enroller.enroll().then(
      (credential) => {
        if (!credential) return;
        deps.token = credential;
        heartbeat!.start();
      },
      (err: unknown) => log.error({ err: errorMessage(err) }, 'cannot enroll: no heartbeats until the agent is restarted'),
    );
  } else heartbeat.start();

  const checkTimer = setInterval(() => {
    converger.refresh().catch((err) => log.error({ err: errorMessage(err) }, 'status check failed'));
  }, config.checkIntervalMs);
  log.info({ id: config.id, meta: config.metaUrls ?? config.metaUrl, root: config.root }, 'agent started');
  for (const u of config.metaUrls ?? [config.metaUrl]) {
    if (/^http:\/\//i.test(u) && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/i.test(u)) log.warn({ meta: u }, 'meta over plain HTTP on a network: the token and the commands cross it in clear; use https:// and --ca');
  }

  let stopping: Promise<void> | null = null;
  let stopPackagesOnExit = config.stopOnExit;
  const closeLoops = (): Promise<void> => {
    stopping ??= (async () => {
        clearInterval(checkTimer);
        enroller?.close();
        await heartbeat!.stop();
        converger.close();
        abort.abort();
        await converger.idle();
        await commands.close(stopPackagesOnExit ? 2_000 : 10_000);
        await journal.close();
        if (stopPackagesOnExit) {
          for (const p of Object.values(store.get().packages)) {
            if (!p.current || !p.runtime || p.running === false) continue;
            try {
              await stopVersion({ ...deps, signal: undefined }, p.name, p.current, p.runtime);
              store.updatePkg(p.name, (q) => void (q.running = false));
            } catch (err) {
              log.error({ pkg: p.name, err: errorMessage(err) }, 'could not stop package on exit');
            }
          }
          await supervisor.stopAll();
        } else {
          supervisor.detachAll();
        }
        log.info('agent stopped');
        log.flush?.();
    })();
    return stopping;
  };
  return {
    heartbeat,
    store,
    converger,
    poke() {
      converger.trigger();
      heartbeat?.wake();
    },
    setToken(token) {
      deps.token = token;
    },
    setEnrollToken(token) {
      enrollToken = token;
    },
    async close() {
      closing = true;
      await closeLoops();
      // After a hand-over: the new build is the agent; stop it too.
      if (launched) await (launched as LaunchedBuild).stop();
    },
  };
}

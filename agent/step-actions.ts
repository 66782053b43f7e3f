// What each planned step does on the device, and the record it leaves in the local state.
// Each action is idempotent, so a step interrupted by a crash can simply run again.
import type { Agent as HttpsAgent } from 'node:https';
import { existsSync, rmSync, statSync } from 'node:fs';
import type { Cgroups } from '../control/cgroup.js';
import type { ControlRuns } from '../control/control-runs.js';
import type { Logger } from '../lib/log.js';
import { DroverError } from '../lib/errors.js';
import type { DesiredArtifact, PackagePhase } from '../specs/wire/index.js';
import { confirmStarted, controlStart, controlStatus, controlStop, type ControlContext } from './control-script.js';
import { ensureFree } from './disk-space.js';
import { hashFile } from './hash-file.js';
import type { Layout } from './layout.js';
import { artifactKey, type Runtime } from './local-state.js';
import type { LocalStore } from './local-store.js';
import type { Step } from './plan-steps.js';
import type { Supervisor } from './supervisor.js';
import { switchCurrent } from './switch-link.js';

export interface ExecDeps {
  layout: Layout;
  store: LocalStore;
  supervisor: Supervisor;
  log: Logger;
  /** Base URL of meta and the agent token, for artifacts with `via: meta`. */
  metaUrl: string;
  token: string | null;
  /** TLS settings for meta (--ca, --cert/--key); undefined: the system's CAs. */
  tlsAgent?: HttpsAgent;
  download: { maxBytes: number; connectTimeoutMs: number; idleTimeoutMs: number; retries: number };
  unpack: { maxBytes: number; maxEntries: number };
  /** Backoff before a failed version is tried again. */
  retry: { baseMs: number; maxMs: number };
  /** How long a supervised process must stay up after start to count as started. */
  settleMs: number;
  now(): number;
  onPhase(name: string, phase: PackagePhase, target: string | null): void;
  signal?: AbortSignal;
  /** Control script runs in progress, recorded durably (control-runs.ts). */
  controlRuns?: ControlRuns;
  /** cgroup v2 containment for control scripts (null: process groups only). */
  cgroups?: Cgroups | null;
}

export const PHASE: Record<Step['kind'], PackagePhase> = {
  download: 'downloading', verify: 'verifying', unpack: 'unpacking', stop: 'stopping', switch: 'switching',
  start: 'starting', check: 'checking', remove: 'removing', gc: 'removing',
};

/** Where an artifact is fetched from: its upstream URL, or meta's cache (with the agent token). */
export function artifactSource(a: DesiredArtifact, metaUrl: string, token: string | null): { url: string; headers: Record<string, string> } {
  if (a.via !== 'meta') return { url: a.url, headers: {} };
  const base = metaUrl.replace(/\/+$/, '');
  const url = a.sha256 ? `${base}/v1/artifacts/${a.sha256}` : `${base}/v1/artifacts/md5/${a.md5}`;
  return { url, headers: token ? { authorization: `Bearer ${token}` } : {} };
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function control(d: ExecDeps, name: string, version: string, runtime: Runtime): ControlContext {
  return { dir: d.layout.versionDir(name, version), name, version, runtime, signal: d.signal, runs: d.controlRuns, cgroups: d.cgroups };
}

async function download(d: ExecDeps, name: string, version: string, artifact: DesiredArtifact): Promise<void> {
  const src = artifactSource(artifact, d.metaUrl, d.token);
  const dest = d.layout.download(name, version);
  // Known size: refuse at once when it cannot fit (the check is repeated on Content-Length).
  if (artifact.size) ensureFree(`the download of ${name} ${version}`, d.layout.downloads, artifact.size - fileSize(`${dest}.part`));
  // Loaded on first use: an agent restarted on a converged device never needs them.
  const { downloadVerified } = await import('./download.js');
  await downloadVerified({
    url: src.url,
    dest,
    headers: src.headers,
    expected: { sha256: artifact.sha256, md5: artifact.md5 },
    maxBytes: artifact.size ? Math.min(artifact.size, d.download.maxBytes) : d.download.maxBytes,
    connectTimeoutMs: d.download.connectTimeoutMs,
    idleTimeoutMs: d.download.idleTimeoutMs,
    retries: d.download.retries,
    signal: d.signal,
    ...(d.tlsAgent ? { tls: { origin: new URL(d.metaUrl).origin, agent: d.tlsAgent } } : {}),
  });
  d.store.updatePkg(name, (p) => {
    p.downloaded = { version, artifactKey: artifactKey(artifact) };
  });
}

/** Re-hashes the downloaded file before it is unpacked (it may have sat on disk across a crash). */
async function verify(d: ExecDeps, name: string, version: string, artifact: DesiredArtifact): Promise<void> {
  const file = d.layout.download(name, version);
  if (!existsSync(file)) await download(d, name, version, artifact);
  const got = await hashFile(file, !artifact.sha256 && !!artifact.md5);
  const bad = artifact.sha256 ? got.sha256 !== artifact.sha256.toLowerCase() : got.md5 !== artifact.md5?.toLowerCase();
  if (bad) {
    rmSync(file, { force: true });
    d.store.updatePkg(name, (p) => {
      p.downloaded = null;
    });
    throw new DroverError('CHECKSUM_MISMATCH', `${name} ${version}: the downloaded file no longer matches its checksum; it was deleted`);
  }
}

async function unpack(d: ExecDeps, name: string, version: string): Promise<void> {
  const file = d.layout.download(name, version);
  const dest = d.layout.versionDir(name, version);
  rmSync(dest, { recursive: true, force: true }); // an unrecorded leftover is never trusted
  const { unpackTarball } = await import('./unpack.js');
  try {
    await unpackTarball({ tarball: file, destDir: dest, maxBytes: d.unpack.maxBytes, maxEntries: d.unpack.maxEntries });
  } catch (err) {
    if (err instanceof DroverError && err.code === 'UNSAFE_ARCHIVE') {
      rmSync(file, { force: true });
      d.store.updatePkg(name, (p) => {
        p.downloaded = null;
      });
    }
    throw err;
  }
  d.store.updatePkg(name, (p) => {
    if (!p.installed.includes(version)) p.installed.push(version);
    p.downloaded = null;
  });
  rmSync(file, { force: true });
}

/** Stops a version; returns the output to keep. A version whose folder vanished counts as stopped. */
export async function stopVersion(d: ExecDeps, name: string, version: string, runtime: Runtime): Promise<string> {
  if (runtime.run) {
    if (d.supervisor.isRunning(name)) await d.supervisor.stop(name);
    return '';
  }
  if (!existsSync(d.layout.versionDir(name, version))) return '';
  return controlStop(control(d, name, version, runtime));
}

export async function startVersion(d: ExecDeps, name: string, version: string, runtime: Runtime): Promise<void> {
  if (runtime.run) await d.supervisor.start(name, version, d.layout.versionDir(name, version), runtime.run);
  else await controlStart(control(d, name, version, runtime));
}

/** Confirms a start: `status` answers started, or the supervised process stays up. */
export async function confirmVersion(d: ExecDeps, name: string, version: string, runtime: Runtime): Promise<void> {
  if (runtime.run) {
    if (await d.supervisor.confirmRunning(name, d.settleMs)) return;
    const last = d.supervisor.info(name)?.lastExit;
    throw new DroverError('NOT_STARTED', `${name} ${version}: the process exited right after start${last ? ` (code ${last.code}, signal ${last.signal})` : ''}`, {
      details: { outputTail: d.supervisor.logTail(name) },
    });
  }
  await confirmStarted(control(d, name, version, runtime));
}

async function probe(d: ExecDeps, name: string, version: string, runtime: Runtime): Promise<boolean> {
  if (runtime.run) return d.supervisor.isRunning(name);
  if (!existsSync(d.layout.versionDir(name, version))) return false;
  return (await controlStatus(control(d, name, version, runtime))).running;
}

/** Runs one step and records its outcome. Throws on failure (the caller records the failure). */
export async function runStep(d: ExecDeps, step: Step): Promise<void> {
  const { name } = step;
  switch (step.kind) {
    case 'download':
      return download(d, name, step.version, step.artifact);
    case 'verify':
      return verify(d, name, step.version, step.artifact);
    case 'unpack':
      return unpack(d, name, step.version);
    case 'stop':
      await stopVersion(d, name, step.version, step.runtime);
      d.store.updatePkg(name, (p) => {
        p.running = false;
      });
      return;
    case 'switch':
      switchCurrent(d.layout.packageDir(name), step.version);
      d.store.updatePkg(name, (p) => {
        const previous = p.runtime;
        p.current = step.version;
        p.running = false;
        p.pending = step.thenStart ? { from: step.from, fromRuntime: step.from ? previous : null, to: step.version } : null;
        p.runtime = step.runtime;
        if (!step.thenStart && p.failure?.version === step.version) p.failure = null;
      });
      return;
    case 'start':
      d.store.updatePkg(name, (p) => {
        p.runtime = step.runtime;
      });
      await startVersion(d, name, step.version, step.runtime);
      d.store.updatePkg(name, (p) => {
        p.running = true;
      });
      return;
    case 'check': {
      if (step.expect === 'probe') {
        const running = await probe(d, name, step.version, step.runtime);
        d.store.updatePkg(name, (p) => {
          p.running = running;
        });
        return;
      }
      await confirmVersion(d, name, step.version, step.runtime);
      d.store.updatePkg(name, (p) => {
        p.running = true;
        p.pending = null;
        if (p.failure?.version === step.version) p.failure = null;
      });
      return;
    }
    case 'remove':
      await d.supervisor.stop(name);
      rmSync(d.layout.packageDir(name), { recursive: true, force: true });
      for (const v of [d.store.pkg(name)?.downloaded?.version].filter((x): x is string => !!x)) {
        rmSync(d.layout.download(name, v), { force: true });
        rmSync(`${d.layout.download(name, v)}.part`, { force: true });
      }
      d.store.deletePkg(name);
      return;
    case 'gc':
      for (const v of step.versions) rmSync(d.layout.versionDir(name, v), { recursive: true, force: true });
      d.store.updatePkg(name, (p) => {
        p.installed = p.installed.filter((v) => !step.versions.includes(v));
      });
      return;
  }
}

export type { Logger };

// The agent upgrades itself when the fleet names another version of its own package (`kind: agent`):
// download and verify the build like any artifact, start it beside this agent for one trial
// heartbeat, and hand over only when meta accepted it (switch `<root>/agent/current`, then run the
// new build in this agent's place). A build that fails its trial (or gives no answer within the
// timeout) is remembered as failed, never tried again, and reported as rolled back, so that a
// staged rollout pauses.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import { errorMessage } from '../../lib/errors.js';
import { DROVER_VERSION } from '../../lib/version.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredPackage } from '../../specs/wire/desired.js';
import { downloadVerified } from '../download.js';
import { agentReport, type SelfUpdatePhase } from './agent-package.js';
import { agentDirOf, commandFor, switchCurrent } from './launch-build.js';

export interface SelfUpdaterOptions {
  root: string;
  /** This agent's command-line options: the new build runs with the same. */
  argv: string[];
  log: Logger;
  metaUrl(): string;
  token(): string | null;
  download: { maxBytes: number; connectTimeoutMs: number; idleTimeoutMs: number; retries: number };
  /** How long the new build has to get a heartbeat accepted. */
  trialTimeoutMs: number;
  /** The heartbeat this agent would send now (the trial sends it as the new build). */
  heartbeatBody(): unknown;
  /** A change worth reporting at once. */
  onChange(): void;
  /** The new build proved itself and is `current`: stop this agent's work and run it instead. */
  onHandover(file: string): void;
}

const keyOf = (p: DesiredPackage): string => `${p.version}@${p.artifact.sha256 ?? p.artifact.md5 ?? ''}`;

export class SelfUpdater {
  private want: DesiredPackage | null = null;
  private phase: SelfUpdatePhase = 'idle';
  private error: string | null = null;
  private running: Promise<void> | null = null;
  private readonly failed: Record<string, string>;
  private readonly failedFile: string;

  constructor(private readonly o: SelfUpdaterOptions) {
    mkdirSync(agentDirOf(o.root), { recursive: true });
    this.failedFile = join(agentDirOf(o.root), 'failed.json');
    try {
      this.failed = JSON.parse(readFileSync(this.failedFile, 'utf8')) as Record<string, string>;
    } catch {
      this.failed = {};
    }
  }

  /** The agent package of the desired document (null: none; this agent stays as it is). */
  set(pkg: DesiredPackage | null): void {
    this.want = pkg;
    if (!pkg || pkg.version === DROVER_VERSION || this.running) return;
    const failure = this.failed[keyOf(pkg)];
    if (failure) {
      this.phase = 'rolledBack';
      this.error = failure;
      return;
    }
    this.running = this.upgrade(pkg).finally(() => {
      this.running = null;
    });
  }

  report(): PackageReport | null {
    if (!this.want) return null;
    const target = this.want.version === DROVER_VERSION ? null : this.want.version;
    return agentReport(this.want.name, DROVER_VERSION, target ? this.phase : 'idle', target, target ? this.error : null);
  }

  private setPhase(phase: SelfUpdatePhase, error: string | null = null): void {
    this.phase = phase;
    this.error = error;
    this.o.onChange();
  }

  private async upgrade(pkg: DesiredPackage): Promise<void> {
    const log = this.o.log.child({ component: 'self-update', version: pkg.version });
    const dir = join(agentDirOf(this.o.root), pkg.version);
    mkdirSync(dir, { recursive: true });
    const name = basename(new URL(pkg.artifact.url).pathname) || 'drover-agent.mjs';
    const file = join(dir, /^[\w.-]+$/.test(name) ? name : 'drover-agent.mjs');
    try {
      this.setPhase('downloading');
      const viaMeta = pkg.artifact.via === 'meta' && pkg.artifact.sha256;
      const token = this.o.token();
      await downloadVerified({
        url: viaMeta ? `${this.o.metaUrl().replace(/\/+$/, '')}/v1/artifacts/${pkg.artifact.sha256}` : pkg.artifact.url,
        dest: file,
        expected: { ...(pkg.artifact.sha256 ? { sha256: pkg.artifact.sha256 } : {}), ...(pkg.artifact.md5 ? { md5: pkg.artifact.md5 } : {}) },
        ...this.o.download,
        ...(viaMeta && token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      this.setPhase('starting');
      const bodyFile = join(dir, 'trial-heartbeat.json');
      writeFileSync(bodyFile, JSON.stringify(this.o.heartbeatBody()));
      log.info({ file }, 'new agent build downloaded and verified; starting it for a trial heartbeat');
      const code = await this.trial(file, bodyFile);
      if (code !== 0) throw new Error(code === null ? `did not get a heartbeat accepted within ${Math.round(this.o.trialTimeoutMs / 1000)} s` : `exited with code ${code} before a heartbeat was accepted`);
      if (this.want && keyOf(this.want) !== keyOf(pkg)) return; // the fleet changed its mind meanwhile
      switchCurrent(this.o.root, file);
      log.info('the new agent build heartbeated: handing over');
      this.o.onHandover(file);
    } catch (err) {
      const message = `agent ${pkg.version}: ${errorMessage(err)}; staying on ${DROVER_VERSION}`;
      log.error({ err: errorMessage(err) }, 'agent upgrade failed; rolled back to this build');
      this.failed[keyOf(pkg)] = message;
      writeFileSync(this.failedFile, JSON.stringify(this.failed));
      this.setPhase('rolledBack', message);
    }
  }

  /** Runs the new build in trial mode; its exit code, or null when it took too long (then killed). */
  private trial(file: string, bodyFile: string): Promise<number | null> {
    const { cmd, args } = commandFor(file);
    const child = spawn(cmd, [...args, ...this.o.argv], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, DROVER_AGENT_TRIAL: bodyFile } });
    let tail = '';
    child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, this.o.trialTimeoutMs);
      child.once('error', () => {
        clearTimeout(timer);
        resolve(127);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code !== 0) this.o.log.warn({ output: tail }, 'trial of the new agent build failed');
        resolve(code ?? 1);
      });
    });
  }
}

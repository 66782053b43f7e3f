// Users and devices from the fleet repository, through the same source as meta's
// (lib/fleet-repo: a git URL with auth, redaction, backoff and coalescing, or a directory). A read
// that fails or finds an invalid tree keeps the last good fleet and records the error.
import { createRepoSource, isRepoUrl, type RepoAuth, type RepoSource } from '../lib/fleet-repo/repo-source.js';
import type { Logger } from '../lib/log.js';
import type { CommitVerifier } from '../lib/commit-signers/commit-verifier.js';
import { loadFleet } from '../specs/load/load-fleet.js';
import { formatProblem } from '../specs/load/problem.js';
import type { TreeReader } from '../specs/load/tree-reader.js';
import type { DeviceSpec } from '../specs/schema/device.js';
import type { UserSpec } from '../specs/schema/user.js';

export interface FleetView {
  revision: string | null;
  users: Map<string, UserSpec>;
  devices: Map<string, DeviceSpec>;
}

export interface FleetSourceOptions {
  repo?: string;
  dataDir: string;
  branch?: string;
  /** The fleet's folder inside the repository. */
  path?: string;
  auth?: RepoAuth;
  /** How often a git repository is fetched (and a directory read). */
  intervalMs?: number;
  log: Logger;
  extraUsers?: UserSpec[];
  /** --verify-commits: users are read only from commits whose signature this verifier accepts. */
  verifier?: CommitVerifier;
}

export class FleetSource {
  current: FleetView = { revision: null, users: new Map(), devices: new Map() };
  private source: RepoSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  constructor(private readonly opts: FleetSourceOptions) {
    for (const u of opts.extraUsers ?? []) this.current.users.set(u.name, u);
  }

  /** The newest commit refused for its signature (with --verify-commits), while it is the newest. */
  refused: { commit: string; author: string; reason: string } | undefined;

  get lastError(): string | undefined {
    if (this.refused) return `commit ${this.refused.commit} by ${this.refused.author} refused: ${this.refused.reason}`;
    return this.source?.status().lastError?.message ?? undefined;
  }

  private repo(intervalMs = this.opts.intervalMs ?? 30_000): RepoSource | undefined {
    if (!this.opts.repo) return undefined;
    this.source ??= createRepoSource({
      repo: this.opts.repo,
      branch: this.opts.branch,
      path: this.opts.path,
      dataDir: this.opts.dataDir,
      intervalMs,
      auth: this.opts.auth,
      watch: false, // read on the interval, like the git repository
      log: this.opts.log,
      apply: (reader, revision) => this.apply(reader, revision),
      ...(this.opts.verifier ? { admit: (commit: string, dir: string) => this.admit(commit, dir) } : {}),
    });
    return this.source;
  }

  /** The same rule as meta's --verify-commits: an unsigned or wrongly signed commit keeps the last good users. */
  private async admit(commit: string, dir: string): Promise<boolean> {
    if (this.current.revision === commit) return true;
    const verdict = await this.opts.verifier!.verify({ dir, oid: commit });
    if (verdict.ok) {
      this.refused = undefined;
      return true;
    }
    if (this.refused?.commit !== commit) this.opts.log.error({ commit, author: verdict.author, reason: verdict.reason }, `commit ${commit} by ${verdict.author} refused: ${verdict.reason}; keeping the last good users`);
    this.refused = { commit, author: verdict.author, reason: verdict.reason };
    return false;
  }

  private async apply(reader: TreeReader, revision: string): Promise<void> {
    // A directory's revision is its content hash (as meta shows it), so a change is visible in status.
    // The same revision again (a directory read on every interval) is the same view: it is not
    // parsed again, and the view keeps its identity, so connections are not re-checked for nothing.
    if (revision === this.current.revision) return;
    const result = await loadFleet(reader, { revision });
    if (!result.ok) {
      const errors = result.problems.filter((p) => p.severity === 'error');
      throw new Error(`fleet repository invalid, keeping the last good one:\n${errors.slice(0, 5).map(formatProblem).join('\n')}`);
    }
    const users = new Map(result.spec.users.map((u) => [u.name, u] as const));
    for (const u of this.opts.extraUsers ?? []) if (!users.has(u.name)) users.set(u.name, u);
    this.current = { revision: result.spec.revision, users, devices: new Map(result.spec.devices.map((d) => [d.id, d] as const)) };
  }

  /** Reads the repository again; concurrent calls share one read. */
  async refresh(): Promise<void> {
    const source = this.repo();
    if (!source) return;
    if (this.started) return source.trigger('refresh');
    this.started = true;
    return source.start();
  }

  /** Reads again every `intervalMs` (a git repository schedules its own fetches, with backoff). */
  start(intervalMs: number): void {
    const source = this.repo(intervalMs);
    if (!source || intervalMs <= 0) return;
    if (!this.started) void this.refresh();
    if (isRepoUrl(this.opts.repo!)) return;
    this.timer = setInterval(() => void source.trigger('interval'), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    void this.source?.close();
  }
}

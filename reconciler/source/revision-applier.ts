// Turns a candidate revision (a tree at a commit, or a directory's content hash) into the desired
// state, or keeps the last good one: a candidate that fails validation is recorded with every
// problem as file:line:col, logged, and not applied.
import { errorMessage } from '../../lib/errors.js';
import type { CommitInfo } from '../../lib/fleet-repo/repo-source.js';
import type { Logger } from '../../lib/log.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { formatProblem } from '../../specs/load/problem.js';
import type { TreeReader } from '../../specs/load/tree-reader.js';
import { compileFleet } from '../../specs/resolve/compile-fleet.js';
import type { DesiredState } from '../desired/desired-state.js';
import type { MetaMetrics } from '../metrics/metrics.js';

export type { CommitInfo } from '../../lib/fleet-repo/repo-source.js';

export interface RevisionRecord {
  revision: string;
  info: CommitInfo | null;
  /** When meta applied (or rejected) it, ISO. */
  at: string;
  /** Time to load and validate the tree (ms). */
  loadMs?: number;
  /** Time to switch to it: revision listeners and waking the long polls whose document changed (ms). */
  switchMs?: number;
}

export interface RejectedRevision extends RevisionRecord {
  /** Every error and warning as `file:line:col: message`. */
  problems: string[];
}

export interface ApplierStatus {
  applied: RevisionRecord | null;
  /** The newest candidate that failed validation, while it is the newest candidate. */
  rejected: RejectedRevision | null;
  warnings: string[];
}

export class RevisionApplier {
  readonly status: ApplierStatus = { applied: null, rejected: null, warnings: [] };
  /** The revision last refused for its signature (refuse()), not for its content. */
  private refused: string | null = null;

  constructor(
    private readonly desired: DesiredState,
    private readonly log: Logger,
    private readonly metrics: MetaMetrics,
  ) {}

  /**
   * Refuses a candidate for a reason other than its content (an unsigned or wrongly signed commit):
   * recorded and logged like an invalid one, naming the commit and its author; the last good
   * revision stays.
   */
  refuse(revision: string, info: CommitInfo | null, reason: string): void {
    const problem = `commit ${revision}${info?.author ? ` by ${info.author}` : ''} refused: ${reason}`;
    if (this.status.rejected?.revision === revision && this.status.rejected.problems[0] === problem) return;
    this.metrics.invalidRevisions++;
    this.refused = revision;
    this.status.rejected = { revision, info, at: new Date().toISOString(), problems: [problem] };
    this.log.error(
      { revision, author: info?.author ?? null, reason, serving: this.status.applied?.revision ?? null },
      `${problem}; keeping ${this.status.applied ? this.status.applied.revision.slice(0, 12) : 'nothing (no good revision yet)'}`,
    );
  }

  /**
   * Forgets that `revision` was refused (its signature verifies now that the signers changed), so
   * apply() checks it; true when there was such a refusal.
   */
  forgetRefusal(revision: string): boolean {
    if (this.refused !== revision) return false;
    this.refused = null;
    if (this.status.rejected?.revision === revision) this.status.rejected = null;
    return true;
  }

  /** Returns what happened to the candidate. */
  async apply(reader: TreeReader, revision: string, info: CommitInfo | null = null): Promise<'applied' | 'unchanged' | 'rejected'> {
    if (this.status.applied?.revision === revision) {
      this.status.rejected = null;
      return 'unchanged';
    }
    if (this.status.rejected?.revision === revision) return 'rejected';
    const at = new Date().toISOString();
    const t0 = performance.now();
    let result;
    try {
      result = await loadFleet(reader, { revision });
    } catch (err) {
      result = { ok: false as const, problems: [{ file: '(repository)', line: 1, col: 1, message: `cannot read the tree: ${errorMessage(err)}`, severity: 'error' as const }] };
    }
    const problems = result.problems.map(formatProblem);
    if (!result.ok) {
      this.metrics.invalidRevisions++;
      this.status.rejected = { revision, info, at, problems };
      this.log.error(
        { revision, problems, serving: this.status.applied?.revision ?? null },
        `revision ${revision.slice(0, 12)} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}); keeping ${this.status.applied ? this.status.applied.revision.slice(0, 12) : 'nothing (no good revision yet)'}`,
      );
      for (const p of problems) this.log.error({ revision }, p);
      return 'rejected';
    }
    const compiled = compileFleet(result.spec);
    const t1 = performance.now();
    const applied: RevisionRecord = { revision, info, at, loadMs: Math.round(t1 - t0) };
    this.status.applied = applied;
    this.status.rejected = null;
    this.status.warnings = problems;
    for (const p of problems) this.log.warn({ revision }, p);
    const waiting = this.desired.waiters.count;
    this.desired.setFleet(compiled, revision);
    applied.switchMs = Math.round(performance.now() - t1);
    this.log.info(
      { revision, packages: result.spec.packages.length, devices: result.spec.devices.length, commands: result.spec.commands.length, loadMs: applied.loadMs, switchMs: applied.switchMs, longPolls: waiting },
      `applied revision ${revision.slice(0, 12)}`,
    );
    return 'applied';
  }
}

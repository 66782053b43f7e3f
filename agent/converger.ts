// Drives convergence: whenever the desired document changes (or a timer ticks) it plans
// against the local state and executes, again until nothing is left to do. Passes never
// overlap; a trigger during a pass runs one more pass after it.
import { coalesceRuns } from '../lib/coalesce-runs.js';
import { errorMessage } from '../lib/errors.js';
import type { DesiredDocument } from '../specs/wire/desired.js';
import { controlStatus } from './control-script.js';
import { executeSteps, type ExecDeps } from './execute-steps.js';
import { isConverged, planSteps } from './plan-steps.js';
import { sweepStale } from './sweep-stale.js';
import { freeBytes } from './disk-space.js';
import { failureConcerns } from './failure-policy.js';

const SPACE_MARGIN = 1024 * 1024;

/** Passes of plan + execute within one convergence, at most. */
const MAX_ROUNDS = 8;

export interface ConvergerOptions extends ExecDeps {
  /** Called after each convergence with whether the device reached the document. */
  onPassDone?(converged: boolean): void;
}

export class Converger {
  private desired: { document: DesiredDocument; etag: string } | null = null;
  private closed = false;
  /** One pass at a time; a trigger meanwhile asks for one more after it. */
  private readonly passes = coalesceRuns(() => this.pass(), {
    repeatWhile: () => !this.closed,
    onError: (err) => this.d.log.error({ err: errorMessage(err) }, 'convergence pass failed'),
  });

  constructor(private readonly d: ConvergerOptions) {}

  get document(): DesiredDocument | null {
    return this.desired?.document ?? null;
  }

  setDesired(document: DesiredDocument, etag: string): void {
    this.desired = { document, etag };
    this.trigger();
  }

  /** Runs a pass now, or right after the one in progress. */
  trigger(): void {
    if (this.closed || !this.desired) return;
    void this.passes();
  }

  /** Resolves when no pass is running (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.passes.running) await this.passes.running;
  }

  close(): void {
    this.closed = true;
  }

  private async pass(): Promise<void> {
    const target = this.desired!;
    sweepStale(this.d.layout, target.document, this.d.log);
    for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
      const steps = planSteps(target.document, this.d.store.get(), { now: this.d.now() });
      if (steps.length === 0) break;
      await executeSteps(steps, target.document, this.d);
      if (this.desired !== target) return; // a newer document arrived: its own pass follows
    }
    const converged = isConverged(target.document, this.d.store.get(), this.d.now());
    if (converged) this.d.store.setAppliedEtag(target.etag);
    this.d.onPassDone?.(converged);
  }

  /** A version that failed on a full disk is tried again as soon as the room it needed is free. */
  private retryWhereSpaceFreed(doc: DesiredDocument): void {
    const now = this.d.now();
    for (const pkg of doc.packages) {
      const f = this.d.store.pkg(pkg.name)?.failure;
      if (!f || f.code !== 'DISK_FULL' || now >= f.retryAt || !failureConcerns(f, pkg)) continue;
      const free = freeBytes(this.d.layout.root);
      if (free === null) continue;
      const enough = f.neededBytes != null ? free >= f.neededBytes + SPACE_MARGIN : f.availableBytes != null && free > f.availableBytes + SPACE_MARGIN;
      if (!enough) continue;
      this.d.log.info({ pkg: pkg.name, version: pkg.version, free }, 'space was freed; trying again');
      this.d.store.updatePkg(pkg.name, (p) => {
        if (p.failure) p.failure.retryAt = now;
      });
    }
  }

  /**
   * Asks `status` of every control-script package that should be running; one found stopped
   * (it crashed, someone stopped it) is recorded so and the next pass starts it again.
   */
  async refresh(): Promise<void> {
    const doc = this.desired?.document;
    if (!doc || this.passes.running) return this.trigger();
    this.retryWhereSpaceFreed(doc);
    for (const pkg of doc.packages) {
      const l = this.d.store.pkg(pkg.name);
      if (pkg.state !== 'started' || !l || l.current !== pkg.version || l.running !== true || !l.runtime?.control) continue;
      try {
        const { running } = await controlStatus({ dir: this.d.layout.versionDir(pkg.name, pkg.version), name: pkg.name, version: pkg.version, runtime: l.runtime });
        if (!running && this.d.store.pkg(pkg.name)?.running === true) {
          this.d.log.warn({ pkg: pkg.name, version: pkg.version }, 'package found stopped; starting it again');
          this.d.store.updatePkg(pkg.name, (p) => {
            p.running = false;
          });
        }
      } catch (err) {
        this.d.log.warn({ pkg: pkg.name, err: errorMessage(err) }, 'status check failed');
      }
    }
    this.trigger();
  }
}

// What the rollout gate needs from meta: its store, the devices meta knows (labels, last seen,
// last reports), how to wake long polls, and for several metas who decides and how a decision is
// committed to the shared store.
import type { Logger } from '../../lib/log.js';
import type { Labels } from '../../specs/resolve/match-selector.js';
import type { BaselineSlot } from './package-baselines.js';
import type { PersistedRollout, RolloutStore } from './rollout-store.js';

export interface RolloutGateOptions {
  store: RolloutStore;
  log: Logger;
  now: () => number;
  /** Every device meta knows (heard from or declared in devices/). */
  deviceIds: () => Iterable<string>;
  /** Whether meta knows this device (one of deviceIds); default: every device. */
  known?: (id: string) => boolean;
  labelsOf: (id: string) => Labels;
  /** Where a device keeps its package baselines (its registry record), if it has one; others are kept in a map. */
  baselineSlot?: (id: string) => BaselineSlot | undefined;
  /** Epoch ms of the last heartbeat, null when never heard from. */
  lastSeen: (id: string) => number | null;
  /** JSON of the device's last command summary ([{ id, name, status, exitCode }]). */
  commandsJson: (id: string) => string | undefined;
  /** JSON of the device's last PackageReport[]. */
  packagesJson: (id: string) => string | undefined;
  offlineAfterMs: () => number;
  /** Recomputes these devices' documents and wakes their long polls. */
  invalidate: (ids: string[]) => void;
  /** Finished results of a command identity from meta's store (at start, and for devices that stopped reporting it). */
  loadCommandResults?: (identity: string) => Promise<{ deviceId: string; status: string }[]>;
  /** Least time between two evaluations (default 100 ms). */
  throttleMs?: number;
  /** Periodic re-evaluation (default 5 s; 0 disables). */
  sweepMs?: number;
  /** Called after an evaluation, a new revision or a resume (what the results API shows may have moved). */
  onChange?: () => void;
  /**
   * Several metas on one store: whether this meta takes the decisions (releases, pauses) now.
   * The others follow the leader's states (applyShared) and decide nothing. Default: always.
   */
  decides?: () => boolean;
  /**
   * Several metas: writes a decision to the shared store, resolving once it is committed. A decision
   * is applied (devices it releases served, their long polls woken) only then; a failed write is
   * dropped and decided again later. Without it, decisions apply at once and are queued to the store.
   */
  commitDecision?: (rollout: PersistedRollout) => Promise<void>;
}

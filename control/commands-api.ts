// The shapes of meta's command results API (`GET /v1/commands`, `GET /v1/commands/:name`,
// `GET /v1/rollouts`), shared by the routes, `drover promote` and `drover status --commands`.
import type { CommandRunOutcome, CommandStatus } from '../specs/wire/heartbeat.js';

export interface StatusCounts {
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  interrupted: number;
  skipped: number;
}

export interface RolloutProgress {
  /** `command:NAME@HASH` or `package:NAME@HASH`. */
  key: string;
  kind: 'command' | 'package';
  name: string;
  /** Command identity or `NAME@VERSION` of the package. */
  identity: string;
  revision: string | null;
  state: 'running' | 'paused' | 'done';
  pauseReason: 'failures' | 'admin' | 'spec' | null;
  /** 0-based index of the step in progress. */
  step: number;
  steps: { step: number | string; target: number; released: number; done: boolean }[];
  maxFailures: number;
  selected: number;
  released: number;
  succeeded: number;
  failing: { deviceId: string; status: string; exitCode: number | null; error: string | null; outputTail: string | null }[];
  waiting: number;
}

export interface CommandSummary {
  /** `name@hash`. */
  id: string;
  name: string;
  origin: 'override' | 'approved';
  /** Revisions in which this identity was desired, newest first. */
  revisions: string[];
  /** Devices the identity is desired on now. */
  devices: number;
  counts: StatusCounts;
  /** Counts per revision: each result under the revision meta served when the device first reported it; pending ones under the current revision. */
  byRevision: { revision: string | null; counts: StatusCounts }[];
  rollout: RolloutProgress | null;
}

export interface CommandDeviceResult extends CommandRunOutcome {
  deviceId: string;
  /** Command identity `name@hash` the result is for. */
  id: string;
  name: string;
  status: CommandStatus | 'notReleased';
  revision: string | null;
  reportedAt: string | null;
}

export interface CommandListResponse {
  revision: string | null;
  commands: CommandSummary[];
}

export interface CommandDetailResponse {
  name: string;
  revision: string | null;
  identities: CommandSummary[];
  devices: CommandDeviceResult[];
}

export interface RolloutListResponse {
  revision: string | null;
  rollouts: RolloutProgress[];
}

export const emptyCounts = (): StatusCounts => ({ pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, interrupted: 0, skipped: 0 });

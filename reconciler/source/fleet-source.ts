// What meta's source of desired state looks like from the outside: a git repository or a
// directory, both producing candidate revisions for the RevisionApplier.
import type { ApplierStatus } from './revision-applier.js';

export interface SourceStatus extends ApplierStatus {
  kind: 'git' | 'dir';
  /** The repository URL (credentials removed) or directory. */
  location: string;
  branch: string | null;
  lastFetchAt: string | null;
  lastFetchOk: boolean | null;
  lastError: { message: string; at: string } | null;
  consecutiveFailures: number;
  nextFetchAt: string | null;
}

export interface FleetSource {
  /** First load; resolves once the first attempt finished (it does not throw on failure). */
  start(): Promise<void>;
  /** Asks for an immediate fetch (webhook); coalesced with one in progress. */
  trigger(reason: string): Promise<void>;
  status(): SourceStatus;
  close(): Promise<void>;
}


// The shapes of the fleet repository source (lib/fleet-repo/repo-source.ts).
import type { TreeReader } from '../../specs/load/tree-reader.js';
import type { Logger } from '../log.js';

export interface CommitInfo {
  author?: string;
  message?: string;
  /** ISO time of the commit. */
  time?: string;
}

export interface RepoStatus {
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

export interface RepoSource {
  /** First load; resolves once the first attempt finished (it does not throw on failure). */
  start(): Promise<void>;
  /** Asks for an immediate fetch or read (webhook, timer); coalesced with one in progress. */
  trigger(reason: string): Promise<void>;
  status(): RepoStatus;
  close(): Promise<void>;
}

export interface RepoAuth {
  token: string | null;
  username: string | null;
  password: string | null;
}

export interface RepoHooks {
  /** Takes a new revision; a throw counts as a failed fetch (the last good state stays). */
  apply(reader: TreeReader, revision: string, info: CommitInfo | null): Promise<unknown>;
  /** Git only: whether a fetched commit may be applied (its signature, say); false skips it. */
  admit?(commit: string, gitDir: string, info: CommitInfo | null): Promise<boolean>;
  /** After every fetch or read, with its duration (fetch, validation and apply). */
  onFetch?(ok: boolean, seconds: number): void;
  log: Logger;
}

export interface RepoSourceOptions extends RepoHooks {
  /** An http(s) URL or a directory. */
  repo: string;
  /** Branch of a git repository; default: the remote's HEAD. */
  branch?: string;
  /** The fleet's folder inside the repository (`--path`): a fleet kept in a subfolder of a larger repository. */
  path?: string;
  /** Where a git repository is cloned (<dataDir>/repo). */
  dataDir: string;
  /** Fetch interval of a git repository. */
  intervalMs: number;
  auth?: RepoAuth;
  /** Quiet time after a change in a directory before it is read again. */
  debounceMs?: number;
  /** Watch a directory for changes (default true). */
  watch?: boolean;
}

// The bookkeeping every fleet repository source does after a fetch or read.
import type { RepoHooks, RepoStatus } from './repo-types.js';

/** Seconds since the fetch began (`lastFetchAt` is set when it starts). */
const secondsSince = (st: RepoStatus): number => (st.lastFetchAt ? Math.max(0, Date.now() - Date.parse(st.lastFetchAt)) / 1000 : 0);

export function fetchSucceeded(st: RepoStatus, hooks: Pick<RepoHooks, 'onFetch'>): void {
  st.lastFetchOk = true;
  st.lastError = null;
  st.consecutiveFailures = 0;
  hooks.onFetch?.(true, secondsSince(st));
}

export function fetchFailed(st: RepoStatus, hooks: Pick<RepoHooks, 'onFetch'>, message: string): void {
  hooks.onFetch?.(false, secondsSince(st));
  st.lastFetchOk = false;
  st.consecutiveFailures++;
  st.lastError = { message, at: new Date().toISOString() };
}

// The bookkeeping every fleet repository source does after a fetch or read.
import type { RepoHooks, RepoStatus } from './repo-types.js';

export function fetchSucceeded(st: RepoStatus, hooks: Pick<RepoHooks, 'onFetch'>): void {
  st.lastFetchOk = true;
  st.lastError = null;
  st.consecutiveFailures = 0;
  hooks.onFetch?.(true);
}

export function fetchFailed(st: RepoStatus, hooks: Pick<RepoHooks, 'onFetch'>, message: string): void {
  hooks.onFetch?.(false);
  st.lastFetchOk = false;
  st.consecutiveFailures++;
  st.lastError = { message, at: new Date().toISOString() };
}

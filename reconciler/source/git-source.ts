// A fleet repository on a git server: cloned once into <data>/repo with isomorphic-git, fetched
// on an interval and on demand (webhook); each fetched commit is read straight from the object
// store (no checkout) and offered to the applier. Failures back off and never empty the state.
import { coalesceRuns } from '../../lib/coalesce-runs.js';
import fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { errorMessage } from '../../lib/errors.js';
import { gitTreeReader } from '../../lib/git-tree-reader.js';
import { verifyCommit } from '../../lib/verify-commit.js';
import type { Logger } from '../../lib/log.js';
import type { MetaMetrics } from '../metrics/metrics.js';
import { backoffMs } from '../../lib/backoff.js';
import { redactUrl } from '../../lib/redact-url.js';
import type { FleetSource, SourceStatus } from './fleet-source.js';
import type { RevisionApplier } from './revision-applier.js';

export interface GitSourceOptions {
  url: string;
  branch: string;
  dataDir: string;
  intervalMs: number;
  auth: { token: string | null; username: string | null; password: string | null };
  applier: RevisionApplier;
  /** --verify-commits: the allowed signers file; a commit that does not verify is refused. */
  allowedSigners?: string | null;
  log: Logger;
  metrics: MetaMetrics;
}

export function createGitSource(opts: GitSourceOptions): FleetSource {
  const dir = join(opts.dataDir, 'repo');
  const location = redactUrl(opts.url);
  const log = opts.log.child({ component: 'git-source', repo: location, branch: opts.branch });
  const st: Omit<SourceStatus, keyof typeof opts.applier.status> = {
    kind: 'git', location, branch: opts.branch, lastFetchAt: null, lastFetchOk: null, lastError: null, consecutiveFailures: 0, nextFetchAt: null,
  };
  const onAuth = (): { username?: string; password?: string } | undefined => {
    const a = opts.auth;
    if (a.token) return { username: a.username ?? 'x-access-token', password: a.token };
    if (a.username) return { username: a.username, password: a.password ?? '' };
    return undefined;
  };
  const hasAuth = Boolean(opts.auth.token || opts.auth.username);
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function cloned(): Promise<boolean> {
    try {
      await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${opts.branch}` });
      return true;
    } catch {
      return false;
    }
  }

  async function fetchOnce(): Promise<void> {
    st.lastFetchAt = new Date().toISOString();
    opts.metrics.fetches++;
    try {
      let commit: string;
      const common = { fs, http, dir, url: opts.url, ref: opts.branch, singleBranch: true, ...(hasAuth ? { onAuth } : {}), onAuthFailure: () => ({ cancel: true as const }) };
      if (!(await cloned())) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        await git.clone({ ...common, noCheckout: true, noTags: true });
        commit = await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${opts.branch}` });
      } else {
        const r = await git.fetch({ ...common, tags: false, prune: false });
        commit = r.fetchHead ?? (await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${opts.branch}` }));
      }
      st.lastFetchOk = true;
      st.lastError = null;
      st.consecutiveFailures = 0;
      const reader = await gitTreeReader({ dir, ref: commit });
      let info = null;
      try {
        const c = (await git.readCommit({ fs, dir, oid: commit })).commit;
        info = { author: `${c.author.name} <${c.author.email}>`, message: c.message.trim(), time: new Date(c.committer.timestamp * 1000).toISOString() };
      } catch {
        /* the commit info is a nicety */
      }
      if (opts.allowedSigners && opts.applier.status.rejected?.revision === commit) return; // refused already
      if (opts.allowedSigners && opts.applier.status.applied?.revision !== commit) {
        const verdict = await verifyCommit({ dir, oid: commit, allowedSigners: opts.allowedSigners });
        if (!verdict.ok) return opts.applier.refuse(commit, info ?? { author: verdict.author }, verdict.reason);
        log.debug({ commit, signer: verdict.signer }, 'commit signature verified');
      }
      await opts.applier.apply(reader, commit, info);
    } catch (err) {
      opts.metrics.fetchErrors++;
      st.lastFetchOk = false;
      st.consecutiveFailures++;
      // isomorphic-git messages can carry the URL; never show credentials.
      const message = errorMessage(err).split(opts.url).join(location);
      st.lastError = { message, at: new Date().toISOString() };
      log.warn({ err: message, failures: st.consecutiveFailures }, 'fetching the fleet repository failed; keeping the last good revision');
    }
  }

  function schedule(): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    const delay = st.consecutiveFailures > 0 ? backoffMs(st.consecutiveFailures, { baseMs: 1000, maxMs: opts.intervalMs }) : opts.intervalMs;
    st.nextFetchAt = new Date(Date.now() + delay).toISOString();
    timer = setTimeout(() => void run(), delay);
    timer.unref();
  }

  const run = coalesceRuns(fetchOnce, { repeatWhile: () => !closed, afterRun: schedule });

  return {
    start: () => run(),
    trigger(reason) {
      log.info({ reason }, 'fetch requested');
      return run();
    },
    status: () => ({ ...st, ...opts.applier.status }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await run.running;
    },
  };
}

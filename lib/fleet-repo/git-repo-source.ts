// A fleet repository on a git server: cloned once into <data>/repo with isomorphic-git, fetched
// on an interval and on demand (webhook); each fetched commit is read straight from the object
// store (no checkout) and handed to `apply`. Failures back off and never empty the state.
import fs from 'node:fs';
import { join } from 'node:path';
import { backoffMs } from '../backoff.js';
import { coalesceRuns } from '../coalesce-runs.js';
import { errorMessage } from '../errors.js';
import { gitTreeReader } from '../git-tree-reader.js';
import { loadGit, loadGitHttp } from '../lazy-git.js';
import { redactUrl } from '../redact-url.js';
import { fetchFailed, fetchSucceeded } from './repo-status.js';
import type { RepoAuth, RepoHooks, RepoSource, RepoStatus } from './repo-types.js';

export interface GitRepoSourceOptions extends RepoHooks {
  url: string;
  /** Default: the remote's HEAD. */
  branch?: string;
  dataDir: string;
  intervalMs: number;
  auth: RepoAuth;
}

export function createGitRepoSource(opts: GitRepoSourceOptions): RepoSource {
  const dir = join(opts.dataDir, 'repo');
  const location = redactUrl(opts.url);
  let branch = opts.branch;
  const log = opts.log.child({ component: 'git-source', repo: location, branch: branch ?? 'HEAD' });
  const st: RepoStatus = {
    kind: 'git', location, branch: branch ?? null, lastFetchAt: null, lastFetchOk: null, lastError: null, consecutiveFailures: 0, nextFetchAt: null,
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
      const git = await loadGit();
      branch ??= (await git.currentBranch({ fs, dir })) ?? undefined;
      await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${branch}` });
      return true;
    } catch {
      return false;
    }
  }

  async function fetchOnce(): Promise<void> {
    st.lastFetchAt = new Date().toISOString();
    try {
      const [git, http] = await Promise.all([loadGit(), loadGitHttp()]);
      let commit: string;
      const common = { fs, http, dir, url: opts.url, ref: branch, singleBranch: true, ...(hasAuth ? { onAuth } : {}), onAuthFailure: () => ({ cancel: true as const }) };
      if (!(await cloned())) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true });
        await git.clone({ ...common, noCheckout: true, noTags: true });
        branch ??= (await git.currentBranch({ fs, dir })) ?? 'HEAD';
        st.branch = branch;
        commit = await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${branch}` });
      } else {
        const r = await git.fetch({ ...common, tags: false, prune: false });
        commit = r.fetchHead ?? (await git.resolveRef({ fs, dir, ref: `refs/remotes/origin/${branch}` }));
      }
      const reader = await gitTreeReader({ dir, ref: commit });
      let info = null;
      try {
        const c = (await git.readCommit({ fs, dir, oid: commit })).commit;
        info = { author: `${c.author.name} <${c.author.email}>`, message: c.message.trim(), time: new Date(c.committer.timestamp * 1000).toISOString() };
      } catch {
        /* the commit info is a nicety */
      }
      if (!opts.admit || (await opts.admit(commit, dir, info))) await opts.apply(reader, commit, info);
      fetchSucceeded(st, opts);
    } catch (err) {
      // isomorphic-git messages can carry the URL; never show credentials.
      const message = errorMessage(err).split(opts.url).join(location);
      fetchFailed(st, opts, message);
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
    status: () => ({ ...st }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await run.running;
    },
  };
}

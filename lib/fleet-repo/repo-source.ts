// The fleet repository as meta and jump read it: an http(s) git URL (cloned, fetched on an
// interval and on demand, credentials from options, never shown; failures back off) or a local
// directory (watched, debounced). Each new revision is handed to `apply` as a tree reader; runs
// never overlap (a trigger during one asks for one more). A failure keeps the last good state.
import { createDirRepoSource } from './dir-repo-source.js';
import { createGitRepoSource } from './git-repo-source.js';
import type { RepoSource, RepoSourceOptions } from './repo-types.js';

export type { CommitInfo, RepoAuth, RepoHooks, RepoSource, RepoSourceOptions, RepoStatus } from './repo-types.js';

export const isRepoUrl = (repo: string): boolean => /^https?:\/\//i.test(repo);

export function createRepoSource(opts: RepoSourceOptions): RepoSource {
  if (isRepoUrl(opts.repo)) {
    return createGitRepoSource({ ...opts, url: opts.repo, auth: opts.auth ?? { token: null, username: null, password: null } });
  }
  return createDirRepoSource({ ...opts, dir: opts.repo, debounceMs: opts.debounceMs ?? 300 });
}

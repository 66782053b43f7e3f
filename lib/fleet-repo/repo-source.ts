// The fleet repository as meta and jump read it: an http(s) git URL (cloned, fetched on an
// interval and on demand, credentials from options, never shown; failures back off) or a local
// directory (watched, debounced). Each new revision is handed to `apply` as a tree reader; runs
// never overlap (a trigger during one asks for one more). A failure keeps the last good state.
import { isAbsolute, join } from 'node:path';
import { subtreeReader } from '../../specs/load/tree-reader.js';
import { createDirRepoSource } from './dir-repo-source.js';
import { createGitRepoSource } from './git-repo-source.js';
import type { RepoSource, RepoSourceOptions } from './repo-types.js';

export type { CommitInfo, RepoAuth, RepoHooks, RepoSource, RepoSourceOptions, RepoStatus } from './repo-types.js';

export const isRepoUrl = (repo: string): boolean => /^https?:\/\//i.test(repo);

/** `--path` as a folder inside the repository (`fleet`, `ops/fleet`), or an error message. */
export function checkFleetPath(path: string): string | undefined {
  const dir = normalFleetPath(path);
  if (dir === '') return undefined;
  if (isAbsolute(path) || dir.split('/').some((seg) => seg === '..' || seg === '')) return 'must be a folder inside the repository, such as fleet or ops/fleet';
  return undefined;
}

const normalFleetPath = (path: string): string => path.replace(/^\.?\/+/, '').replace(/\/+$/, '').replace(/^\.$/, '');

export function createRepoSource(opts: RepoSourceOptions): RepoSource {
  const sub = normalFleetPath(opts.path ?? '');
  if (isRepoUrl(opts.repo)) {
    // A subfolder of a git repository: the commit is the revision; only the folder is read.
    const apply: RepoSourceOptions['apply'] = sub ? (reader, revision, info) => opts.apply(subtreeReader(reader, sub), revision, info) : opts.apply;
    return createGitRepoSource({ ...opts, apply, url: opts.repo, auth: opts.auth ?? { token: null, username: null, password: null } });
  }
  // A subfolder of a directory: that folder is read and watched.
  return createDirRepoSource({ ...opts, dir: sub ? join(opts.repo, sub) : opts.repo, debounceMs: opts.debounceMs ?? 300 });
}

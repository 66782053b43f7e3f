// A TreeReader over one commit of a git repository (bare or not), read with isomorphic-git:
// no working tree is needed, so meta can read exactly the commit it fetched.
import fs from 'node:fs';
import { loadGit } from './lazy-git.js';
import type { TreeReader } from '../specs/load/tree-reader.js';

export interface GitTreeOptions {
  /** The repository folder (the one holding .git, or a bare repository with `gitdir`). */
  dir: string;
  gitdir?: string;
  /** Commit id, branch, tag or any ref isomorphic-git resolves. */
  ref: string;
}

/**
 * Resolves a revision to a full commit id: a branch, tag, remote branch, `HEAD`, a short or full
 * sha, followed by any of git's parent suffixes (`HEAD~2`, `main^`, `v1.2^2`, `origin/main~1^`).
 */
export async function resolveCommit(opts: { dir: string; gitdir?: string; ref: string }): Promise<string> {
  const git = await loadGit();
  const { dir, gitdir } = opts;
  const m = /^(.+?)((?:[~^]\d*)*)$/.exec(opts.ref);
  const base = m?.[1] ?? opts.ref;
  let oid: string;
  try {
    oid = await git.resolveRef({ fs, dir, gitdir, ref: base });
  } catch {
    oid = await git.expandOid({ fs, dir, gitdir, oid: base });
  }
  // Annotated tags point at a tag object: peel to the commit.
  for (let i = 0; i < 8; i++) {
    const obj = await git.readObject({ fs, dir, gitdir, oid });
    if (obj.type !== 'tag') break;
    oid = (obj.object as { object: string }).object;
  }
  for (const [, op, digits] of (m?.[2] ?? '').matchAll(/([~^])(\d*)/g)) {
    const n = digits === '' ? 1 : Number(digits);
    const steps = op === '~' ? n : 1;
    const parentIndex = op === '^' ? n - 1 : 0;
    if (op === '^' && n === 0) continue; // `^0` is the commit itself
    for (let i = 0; i < steps; i++) {
      const { commit } = await git.readCommit({ fs, dir, gitdir, oid });
      const parent = commit.parent[i === steps - 1 ? parentIndex : 0];
      if (!parent) throw new Error(`${opts.ref}: ${oid.slice(0, 12)} has no such parent`);
      oid = parent;
    }
  }
  return oid;
}

export async function gitTreeReader(opts: GitTreeOptions): Promise<TreeReader & { commit: string }> {
  const git = await loadGit();
  const { dir, gitdir } = opts;
  const commit = await resolveCommit(opts);
  const files = new Map<string, string>(); // path -> blob oid
  await git.walk({
    fs,
    dir,
    gitdir,
    trees: [git.TREE({ ref: commit })],
    map: async (path, [entry]) => {
      if (!entry || path === '.') return true;
      // Regular files only: symlinks (mode 120000) and submodules are skipped, as dirTreeReader skips them.
      if ((await entry.type()) === 'blob' && (await entry.mode()) !== 0o120000) files.set(path, await entry.oid());
      return true;
    },
  });
  return {
    commit,
    list: async () => [...files.keys()].sort(),
    read: async (path) => {
      const oid = files.get(path);
      if (!oid) throw new Error(`no such file in ${commit.slice(0, 12)}: ${path}`);
      const { blob } = await git.readBlob({ fs, dir, gitdir, oid });
      return Buffer.from(blob).toString('utf8');
    },
  };
}

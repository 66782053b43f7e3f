// A TreeReader over one commit of a git repository (bare or not), read with isomorphic-git:
// no working tree is needed, so meta can read exactly the commit it fetched.
import fs from 'node:fs';
import git from 'isomorphic-git';
import type { TreeReader } from '../specs/load/tree-reader.js';

export interface GitTreeOptions {
  /** The repository folder (the one holding .git, or a bare repository with `gitdir`). */
  dir: string;
  gitdir?: string;
  /** Commit id, branch, tag or any ref isomorphic-git resolves. */
  ref: string;
}

/** Resolves a ref (branch, tag, `HEAD`, short or full sha) to a full commit id. */
export async function resolveCommit(opts: { dir: string; gitdir?: string; ref: string }): Promise<string> {
  const { dir, gitdir } = opts;
  try {
    return await git.resolveRef({ fs, dir, gitdir, ref: opts.ref });
  } catch {
    return await git.expandOid({ fs, dir, gitdir, oid: opts.ref });
  }
}

export async function gitTreeReader(opts: GitTreeOptions): Promise<TreeReader & { commit: string }> {
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

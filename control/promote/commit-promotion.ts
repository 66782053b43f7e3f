// The git side of a promotion, with isomorphic-git: checks that the files to touch are clean,
// creates the promotion branch from HEAD, and commits exactly the edited files on it.
import fs from 'node:fs';
import git from 'isomorphic-git';
import { DroverError, errorMessage } from '../../lib/errors.js';

export interface Author {
  name: string;
  email: string;
}

/** The repository root holding `.git`, from any folder inside it. */
export async function findRepoRoot(dir: string): Promise<string> {
  try {
    return await git.findRoot({ fs, filepath: dir });
  } catch {
    throw new DroverError('PROMOTE_NOT_A_REPO', `${dir} is not inside a git repository (the fleet repository's working tree is expected)`);
  }
}

/** Refuses when a file to be edited already has changes that are not committed. */
export async function assertClean(dir: string, files: readonly string[]): Promise<void> {
  for (const filepath of files) {
    const status = await git.status({ fs, dir, filepath });
    if (status !== 'unmodified' && status !== 'absent') {
      throw new DroverError('PROMOTE_DIRTY', `${filepath} has uncommitted changes (${status}): commit or discard them first, so the promotion commit holds only the promotion`);
    }
  }
}

export async function assertNewBranch(dir: string, branch: string): Promise<void> {
  const branches = await git.listBranches({ fs, dir });
  if (branches.includes(branch)) throw new DroverError('PROMOTE_BRANCH_EXISTS', `branch ${branch} already exists: pass --branch NAME or delete it`);
  try {
    await git.resolveRef({ fs, dir, ref: 'HEAD' });
  } catch {
    throw new DroverError('PROMOTE_NO_HEAD', `the repository at ${dir} has no commit yet`);
  }
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.includes('..') || branch.startsWith('/') || branch.endsWith('/')) {
    throw new DroverError('PROMOTE_BAD_BRANCH', `"${branch}" is not a valid branch name`);
  }
}

async function globalConfig(key: string): Promise<string | undefined> {
  try {
    const { execa } = await import('execa');
    const { stdout } = await execa('git', ['config', '--get', key], { timeout: 5000 });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Author from flags, then GIT_AUTHOR_* variables, then the repository's and the user's git config. */
export async function resolveAuthor(dir: string, given: Partial<Author>, env: NodeJS.ProcessEnv = process.env): Promise<Author> {
  const pick = async (flag: string | undefined, envName: string, key: string): Promise<string | undefined> =>
    flag || env[envName] || ((await git.getConfig({ fs, dir, path: key })) as string | undefined) || (await globalConfig(key));
  const name = await pick(given.name, 'GIT_AUTHOR_NAME', 'user.name');
  const email = await pick(given.email, 'GIT_AUTHOR_EMAIL', 'user.email');
  if (!name || !email) {
    throw new DroverError('PROMOTE_NO_AUTHOR', 'no commit author: set git config user.name and user.email, or pass --author-name and --author-email');
  }
  return { name, email };
}

/** Creates `branch` at HEAD, switches HEAD to it (the working tree is the same commit) and commits `files`. */
export async function commitOnNewBranch(opts: { dir: string; branch: string; files: readonly string[]; message: string; author: Author }): Promise<string> {
  const { dir } = opts;
  const previous = await git.currentBranch({ fs, dir, fullname: false });
  await git.branch({ fs, dir, ref: opts.branch, checkout: true });
  try {
    for (const filepath of opts.files) await git.add({ fs, dir, filepath });
    return await git.commit({ fs, dir, message: opts.message, author: opts.author });
  } catch (err) {
    // Leave the repository as it was: back to the previous branch, without the new one.
    if (previous) await git.checkout({ fs, dir, ref: previous, noCheckout: true }).catch(() => undefined);
    await git.deleteBranch({ fs, dir, ref: opts.branch }).catch(() => undefined);
    throw new DroverError('PROMOTE_COMMIT', `cannot commit the promotion: ${errorMessage(err)}`, { cause: err });
  }
}

/** The remote to suggest in the `git push` line: `origin` when it exists, else the first one. */
export async function pushRemote(dir: string): Promise<string> {
  const remotes = await git.listRemotes({ fs, dir });
  return remotes.find((r) => r.remote === 'origin')?.remote ?? remotes[0]?.remote ?? 'origin';
}

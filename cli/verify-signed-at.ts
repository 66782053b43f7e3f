// `drover validate --verify-commits`: the commit being validated (REV of --git REPO, or HEAD of the
// directory's repository) must be signed by an allowed signer.
import { existsSync, statSync } from 'node:fs';
import { resolveCommit } from '../lib/git-tree-reader.js';
import { verifyCommit, type CommitVerdict } from '../lib/verify-commit.js';

export async function verifySignedAt(where: string, gitDir: string | undefined, allowedSigners: string): Promise<CommitVerdict> {
  const isDir = !gitDir && existsSync(where) && statSync(where).isDirectory();
  const dir = gitDir ?? (isDir ? where : '.');
  const oid = await resolveCommit({ dir, ref: isDir ? 'HEAD' : where });
  return verifyCommit({ dir, oid, allowedSigners });
}

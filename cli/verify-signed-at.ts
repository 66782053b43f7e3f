// `drover validate --verify-commits`: the commit being validated (REV of --git REPO, or HEAD of the
// directory's repository) must be signed by an allowed signer (OpenSSH allowed_signers files,
// armored OpenPGP public keys; see lib/commit-signers/commit-verifier.ts).
import { existsSync, statSync } from 'node:fs';
import { CommitVerifier } from '../lib/commit-signers/commit-verifier.js';
import { resolveCommit } from '../lib/git-tree-reader.js';
import type { CommitVerdict } from '../lib/verify-commit.js';

export async function verifySignedAt(where: string, gitDir: string | undefined, signerFiles: string[]): Promise<CommitVerdict> {
  const isDir = !gitDir && existsSync(where) && statSync(where).isDirectory();
  const dir = gitDir ?? (isDir ? where : '.');
  const oid = await resolveCommit({ dir, ref: isDir ? 'HEAD' : where });
  const verifier = await CommitVerifier.open(signerFiles);
  try {
    return await verifier.verify({ dir, oid });
  } finally {
    await verifier.close();
  }
}

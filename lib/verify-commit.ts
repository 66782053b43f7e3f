// Signed commits only: what a commit's signature is checked over. The signed payload is the raw
// commit object without its gpgsig header (isomorphic-git's readCommit payload garbles SSH
// signatures), kept as bytes so a commit in another encoding verifies too. The check itself is
// CommitVerifier's (lib/commit-signers/commit-verifier.ts): SSH signatures against OpenSSH
// allowed_signers files, OpenPGP signatures against armored public keys.
import fs from 'node:fs';
import { loadGit } from './lazy-git.js';

export type CommitVerdict =
  | { ok: true; commit: string; author: string; signer: string }
  | { ok: false; commit: string; author: string; reason: string };

export interface CommitToVerify {
  author: string;
  /** The gpgsig header's value; null for an unsigned commit. */
  signature: string | null;
  payload: Buffer;
}

/** The commit object without its `gpgsig` header (the header line and its continuation lines). */
export function withoutSignature(text: string): string {
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end + 1);
  const lines = head.split('\n');
  const kept: string[] = [];
  let inSig = false;
  for (const line of lines) {
    if (line.startsWith('gpgsig ') || line.startsWith('gpgsig-sha256 ')) inSig = true;
    else if (inSig && line.startsWith(' ')) continue;
    else inSig = false;
    if (!inSig) kept.push(line);
  }
  return kept.join('\n') + (end < 0 ? '' : text.slice(end + 1));
}

/** Reads commit `oid` of the repository at `dir` (or `gitdir`): its author, signature and signed payload. */
export async function readCommitToVerify(opts: { dir: string; gitdir?: string; oid: string }): Promise<CommitToVerify> {
  const git = await loadGit();
  const where = { fs, dir: opts.dir, ...(opts.gitdir ? { gitdir: opts.gitdir } : {}), oid: opts.oid };
  const { commit } = await git.readCommit(where);
  const raw = await git.readObject({ ...where, format: 'content' });
  // latin1 both ways keeps every byte; the header lines edited are ASCII.
  const payload = Buffer.from(withoutSignature(Buffer.from(raw.object as Uint8Array).toString('latin1')), 'latin1');
  return { author: `${commit.author.name} <${commit.author.email}>`, signature: commit.gpgsig ?? null, payload };
}

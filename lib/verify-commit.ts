// Signed commits only: a commit is accepted when its signature verifies against a list of allowed
// signers (OpenSSH allowed_signers format, as `git -c gpg.ssh.allowedSignersFile=…` uses it),
// checked with the real `ssh-keygen -Y find-principals` / `-Y verify`, namespace "git". The
// signed payload is the commit object without its gpgsig header (isomorphic-git's readCommit).
// An unsigned commit, an OpenPGP signature, an unknown key or a bad signature is refused with a
// reason meant for people.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';

export type CommitVerdict =
  | { ok: true; commit: string; author: string; signer: string }
  | { ok: false; commit: string; author: string; reason: string };

function run(cmd: string, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 30_000, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException & { code?: unknown }).code === 'number' ? Number((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
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

/** Checks one commit of the repository at `dir` (or `gitdir`) against `allowedSigners` (a file). */
export async function verifyCommit(opts: { dir: string; gitdir?: string; oid: string; allowedSigners: string }): Promise<CommitVerdict> {
  const where = { fs, dir: opts.dir, ...(opts.gitdir ? { gitdir: opts.gitdir } : {}), oid: opts.oid };
  const { commit } = await git.readCommit(where);
  // The raw object, not readCommit's payload (which garbles SSH signatures).
  const raw = await git.readObject({ ...where, format: 'content' });
  const payload = withoutSignature(Buffer.from(raw.object as Uint8Array).toString('utf8'));
  const author = `${commit.author.name} <${commit.author.email}>`;
  const refuse = (reason: string): CommitVerdict => ({ ok: false, commit: opts.oid, author, reason });
  const sig = commit.gpgsig;
  if (!sig) return refuse('the commit is not signed');
  if (!sig.includes('BEGIN SSH SIGNATURE')) return refuse('the commit has an OpenPGP signature; only SSH signatures are checked (list the signer\'s SSH key)');
  const tmp = await mkdtemp(join(tmpdir(), 'drover-sig-'));
  try {
    const sigFile = join(tmp, 'commit.sig');
    await writeFile(sigFile, sig.endsWith('\n') ? sig : `${sig}\n`);
    const found = await run('ssh-keygen', ['-Y', 'find-principals', '-f', opts.allowedSigners, '-s', sigFile]);
    const principals = found.code === 0 ? found.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
    if (principals.length === 0) return refuse('signed with a key that is not in the allowed signers');
    for (const principal of principals) {
      const v = await run('ssh-keygen', ['-Y', 'verify', '-f', opts.allowedSigners, '-I', principal, '-n', 'git', '-s', sigFile], payload);
      if (v.code === 0) return { ok: true, commit: opts.oid, author, signer: principal };
    }
    return refuse(`the signature does not verify (a changed commit, or a signature for another namespace) for ${principals.join(', ')}`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

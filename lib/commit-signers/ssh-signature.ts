// An SSH commit signature checked with the real `ssh-keygen -Y find-principals` / `-Y verify`
// (namespace "git") against each allowed_signers file in turn.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTool } from './run-tool.js';

export type SshVerdict = { ok: true; signer: string } | { ok: false; reason: string };

export async function verifySshSignature(sig: string, payload: Buffer, files: readonly string[]): Promise<SshVerdict> {
  const tmp = await mkdtemp(join(tmpdir(), 'drover-sig-'));
  try {
    const sigFile = join(tmp, 'commit.sig');
    await writeFile(sigFile, sig.endsWith('\n') ? sig : `${sig}\n`);
    const tried: string[] = [];
    for (const file of files) {
      const found = await runTool('ssh-keygen', ['-Y', 'find-principals', '-f', file, '-s', sigFile]);
      if (found.missing) return { ok: false, reason: 'ssh-keygen is not installed: SSH signatures cannot be checked' };
      const principals = found.code === 0 ? found.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
      for (const principal of principals) {
        const v = await runTool('ssh-keygen', ['-Y', 'verify', '-f', file, '-I', principal, '-n', 'git', '-s', sigFile], { input: payload });
        if (v.code === 0) return { ok: true, signer: principal };
        tried.push(principal);
      }
    }
    if (tried.length === 0) return { ok: false, reason: 'signed with a key that is not in the allowed signers' };
    return { ok: false, reason: `the signature does not verify (a changed commit, or a signature for another namespace) for ${tried.join(', ')}` };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

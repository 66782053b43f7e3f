// Runs a verification tool (gpg, gpgconf, ssh-keygen) through execa with a timeout and bounded
// output; never throws: a missing program is `missing: true`, any other failure a non-zero code.
// execa is loaded on first use: meta imports this module whether or not it verifies commits, and
// execa's hundred modules are ~2.5 MB of heap for nothing when it does not.

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing?: boolean;
}

export async function runTool(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  const { execa } = await import('execa');
  const r = await execa(cmd, args, {
    input: opts.input ?? '',
    timeout: 30_000,
    maxBuffer: 1024 * 1024,
    reject: false,
    stripFinalNewline: false,
    // as given, not merged into this process's environment (gpg's GNUPGHOME)
    ...(opts.env ? { env: opts.env, extendEnv: false } : {}),
  });
  if ((r as { code?: unknown }).code === 'ENOENT') return { code: 127, stdout: '', stderr: '', missing: true };
  return { code: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

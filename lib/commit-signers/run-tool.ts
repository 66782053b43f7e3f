// Runs a verification tool (gpg, gpgconf, ssh-keygen) with a timeout and bounded output; never
// throws: a missing program is `missing: true`, any other failure a non-zero code.
import { execFile } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing?: boolean;
}

export function runTool(cmd: string, args: string[], opts: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 30_000, maxBuffer: 1024 * 1024, ...(opts.env ? { env: opts.env } : {}) }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: unknown }) | null;
      if (e && e.code === 'ENOENT') return resolve({ code: 127, stdout: '', stderr: '', missing: true });
      const code = e ? (typeof e.code === 'number' ? e.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    child.stdin?.on('error', () => {}); // a tool that exits before reading its input
    child.stdin?.end(opts.input ?? '');
  });
}

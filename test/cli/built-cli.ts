// Test helper: runs the BUILT `drover` command (node bin/drover.js, which loads dist/) as a user
// would. dist/ is rebuilt first when it is missing or older than any source file; a lock keeps
// two test files from building at once.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['specs', 'reconciler', 'agent', 'jump', 'control', 'cli', 'lib'];
const BUILT = join(ROOT, 'dist/cli/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  if (!existsSync(BUILT)) return false;
  const built = statSync(BUILT).mtimeMs;
  return SOURCE_DIRS.every((d) => newestSource(join(ROOT, d)) <= built);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Builds dist/ with the project's own build (tsc + assets) unless it is current. */
export async function ensureBuilt(): Promise<void> {
  if (isFresh()) return;
  const lock = join(tmpdir(), `drover-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 240_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`another build holds ${lock} for too long`);
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      await sleep(250);
    }
  }
  try {
    if (isFresh()) return; // built by the holder of the lock
    const startedAt = Date.now();
    // Type errors in parts under development elsewhere do not stop tsc from emitting; what counts is
    // that the CLI was emitted by this build.
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    spawnSync(process.execPath, ['scripts/copy-assets.mjs'], { cwd: ROOT });
    for (const f of ['dist/cli/main.js', 'dist/cli/validate.js', 'dist/cli/diff.js', 'dist/specs/load/load-fleet.js']) {
      const p = join(ROOT, f);
      if (!existsSync(p) || statSync(p).mtimeMs < startedAt - 1000) throw new Error(`npm run build did not emit ${f}:\n${tsc.stdout}${tsc.stderr}`);
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/drover.js ARGS` in `cwd` (default the repository root), with a bounded run time. */
export function drover(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/drover.js'), ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NODE_OPTIONS: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`drover ${args.join(' ')} did not finish in time\n${stdout}${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

// `drover import ops-meta CFG.json OUTDIR`: reads an ops-meta configuration, downloads the
// `.md5` files it points at, writes a fleet repository and checks that it validates.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { dirTreeReader } from '../../lib/dir-tree-reader.js';
import { DroverError, errorMessage } from '../../lib/errors.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import type { Problem } from '../../specs/load/problem.js';
import { parseOpsMetaConfig } from './ops-meta-config.js';
import { md5FileUrls, parseMd5File, planOpsMetaImport, type ImportNote, type Md5Result } from './plan-ops-meta-import.js';

export interface ImportOpsMetaOptions {
  cfgPath: string;
  outDir: string;
  via?: 'meta' | 'upstream';
  /** Do not download anything: every checksum becomes a TODO. */
  offline?: boolean;
  /** Write into a non-empty OUTDIR. */
  force?: boolean;
  fetchTimeoutMs?: number;
}

export interface ImportOpsMetaResult {
  files: string[];
  notes: ImportNote[];
  packages: number;
  overrides: number;
  /** Problems `drover validate` reports on the output (none when it is complete). */
  problems: Problem[];
  valid: boolean;
}

async function fetchMd5(url: string, timeoutMs: number): Promise<Md5Result> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { error: 'not a URL' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `unsupported scheme ${u.protocol}` };
  try {
    const res = await fetch(u, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      return { error: `HTTP ${res.status}` };
    }
    const text = (await res.text()).slice(0, 4096);
    return parseMd5File(text, basename(u.pathname).replace(/\.md5$/, ''));
  } catch (err) {
    const e = err as Error & { cause?: Error };
    return { error: e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(e.cause ?? e) };
  }
}

export async function importOpsMeta(opts: ImportOpsMetaOptions): Promise<ImportOpsMetaResult> {
  let text: string;
  try {
    text = await readFile(opts.cfgPath, 'utf8');
  } catch (err) {
    throw new DroverError('OPS_META_CONFIG_INVALID', `cannot read ${opts.cfgPath}: ${errorMessage(err)}`);
  }
  const cfg = parseOpsMetaConfig(text, opts.cfgPath);
  if (existsSync(opts.outDir) && readdirSync(opts.outDir).length > 0 && !opts.force) {
    throw new DroverError('IMPORT_OUTDIR_NOT_EMPTY', `${opts.outDir} is not empty: choose a new folder, or pass --force to write into it`);
  }

  const md5s = new Map<string, Md5Result>();
  const urls = md5FileUrls(cfg);
  const timeout = opts.fetchTimeoutMs ?? 10_000;
  for (let i = 0; i < urls.length; i += 8) {
    const batch = urls.slice(i, i + 8);
    const got = await Promise.all(batch.map((u) => (opts.offline ? Promise.resolve<Md5Result>({ error: 'not downloaded (--offline)' }) : fetchMd5(u, timeout))));
    batch.forEach((u, k) => md5s.set(u, got[k]!));
  }

  const plan = planOpsMetaImport(cfg, md5s, { via: opts.via, source: basename(opts.cfgPath) });
  for (const [rel, body] of Object.entries(plan.files)) {
    const full = join(opts.outDir, rel);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, body);
  }
  const loaded = await loadFleet(dirTreeReader(opts.outDir));
  return {
    files: Object.keys(plan.files).sort(),
    notes: plan.notes,
    packages: plan.packages,
    overrides: plan.overrides,
    problems: loaded.problems,
    valid: loaded.ok && !loaded.problems.some((p) => p.severity === 'error'),
  };
}

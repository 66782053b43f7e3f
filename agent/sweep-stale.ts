// Frees what no desired version needs, before each convergence pass (when nothing is being
// downloaded or unpacked): downloads and `.part` files of versions no longer wanted, folders
// of interrupted unpacks, and temporary files of state writes cut short by a crash. On a small
// disk this is what lets the next, smaller version fit.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import type { DesiredDocument } from '../specs/wire/desired.js';
import type { Layout } from './layout.js';

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function remove(path: string, log: Logger, why: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    log.info({ path }, why);
  } catch (err) {
    log.warn({ path, err: (err as Error).message }, 'could not remove a stale file');
  }
}

/** Names in downloads/ that a wanted version may use (the file and its `.part`). */
export function wantedDownloads(layout: Layout, desired: DesiredDocument): Set<string> {
  const keep = new Set<string>();
  for (const p of desired.packages) {
    if (p.state === 'absent') continue;
    const file = layout.download(p.name, p.version).slice(layout.downloads.length + 1);
    keep.add(file);
    keep.add(`${file}.part`);
  }
  return keep;
}

export function sweepStale(layout: Layout, desired: DesiredDocument, log: Logger): void {
  const keep = wantedDownloads(layout, desired);
  for (const entry of list(layout.downloads)) {
    if (!keep.has(entry)) remove(join(layout.downloads, entry), log, 'removed a download no desired version needs');
  }
  for (const name of list(layout.packages)) {
    const dir = layout.packageDir(name);
    for (const entry of list(dir)) {
      if (entry.startsWith('.') && /\.(unpack|old)-[0-9a-f]+$/.test(entry)) remove(join(dir, entry), log, 'removed the folder of an interrupted unpack');
    }
  }
  const own = `.tmp-${process.pid}`;
  for (const entry of list(layout.state)) {
    if (/\.tmp-\d+$/.test(entry) && !entry.endsWith(own)) remove(join(layout.state, entry), log, 'removed a temporary file of an interrupted write');
  }
}

// Meta's artifact store on disk, content-addressed:
//   <dir>/sha256/<hex>   the verified bytes (written to tmp/, then renamed: never half a file)
//   <dir>/md5/<hex>      the sha256 of the file with that md5 (written before the rename)
//   <dir>/tmp/           downloads in progress (emptied at start)
// A size cap is kept by evicting the least recently used files; a file that is being served
// (leased) is never evicted.
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';

export interface StoredArtifact {
  sha256: string;
  md5: string;
  size: number;
}

export interface Lease extends StoredArtifact {
  path: string;
  /** Ends the lease; idempotent. */
  release(): void;
}

interface Item extends StoredArtifact {
  leases: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

export class ArtifactStore {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly log: Logger | undefined;
  /** Insertion order is recency: the first item is the least recently used. */
  private readonly items = new Map<string, Item>();
  private readonly md5Index = new Map<string, string>();
  private total = 0;
  private tmpSeq = 0;

  constructor(opts: { dir: string; maxBytes: number; log?: Logger }) {
    this.dir = opts.dir;
    this.maxBytes = opts.maxBytes;
    this.log = opts.log;
  }

  /** Creates the folders and loads what an earlier run stored (oldest modification first). */
  async open(): Promise<void> {
    await rm(join(this.dir, 'tmp'), { recursive: true, force: true });
    for (const sub of ['sha256', 'md5', 'tmp']) await mkdir(join(this.dir, sub), { recursive: true });
    const bySha = new Map<string, string>();
    for (const name of await readdir(join(this.dir, 'md5'))) {
      const target = HEX32.test(name) ? (await readFile(join(this.dir, 'md5', name), 'utf8').catch(() => '')).trim() : '';
      if (HEX64.test(target)) bySha.set(target, name);
      else await rm(join(this.dir, 'md5', name), { force: true });
    }
    const found: (StoredArtifact & { mtime: number })[] = [];
    for (const name of await readdir(join(this.dir, 'sha256'))) {
      const path = join(this.dir, 'sha256', name);
      const md5 = bySha.get(name);
      if (!HEX64.test(name) || !md5) {
        await rm(path, { force: true, recursive: true });
        continue;
      }
      const st = await stat(path);
      found.push({ sha256: name, md5, size: st.size, mtime: st.mtimeMs });
      bySha.delete(name);
    }
    for (const md5 of bySha.values()) await rm(join(this.dir, 'md5', md5), { force: true });
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) this.remember({ sha256: f.sha256, md5: f.md5, size: f.size });
    this.log?.info({ artifacts: this.items.size, bytes: this.total }, 'artifact store opened');
  }

  /** A fresh path for a download in progress. */
  tmpPath(): string {
    return join(this.dir, 'tmp', `${process.pid}-${Date.now()}-${++this.tmpSeq}`);
  }

  sha256OfMd5(md5: string): string | undefined {
    return this.md5Index.get(md5.toLowerCase());
  }

  has(sha256: string): boolean {
    return this.items.has(sha256);
  }

  get usedBytes(): number {
    return this.total;
  }

  get count(): number {
    return this.items.size;
  }

  /** Leases not yet released (files being served). */
  get activeLeases(): number {
    let n = 0;
    for (const item of this.items.values()) n += item.leases;
    return n;
  }

  /** Leases a stored file (it stays on disk until released); undefined when it is not stored. */
  acquire(sha256: string): Lease | undefined {
    const item = this.items.get(sha256);
    if (!item) return undefined;
    this.items.delete(sha256);
    this.items.set(sha256, item); // most recently used
    item.leases++;
    const now = new Date();
    void utimes(this.pathOf(sha256), now, now).catch(() => undefined); // recency survives a restart
    let released = false;
    return {
      sha256: item.sha256,
      md5: item.md5,
      size: item.size,
      path: this.pathOf(sha256),
      release: () => {
        if (released) return;
        released = true;
        item.leases--;
        if (item.leases === 0 && this.total > this.maxBytes) this.evict();
      },
    };
  }

  /** Moves a verified download into the store and leases it at once. */
  async admit(tmp: string, file: StoredArtifact): Promise<Lease> {
    if (!this.items.has(file.sha256)) {
      await writeFile(join(this.dir, 'md5', file.md5), file.sha256 + '\n');
      await rename(tmp, this.pathOf(file.sha256));
      if (!this.items.has(file.sha256)) this.remember(file);
    } else {
      await rm(tmp, { force: true });
    }
    const lease = this.acquire(file.sha256)!;
    this.evict();
    return lease;
  }

  /** Removes least recently used, unleased files until the store fits its cap. */
  // Synchronous on purpose: the bookkeeping and the unlinks happen together, so a download of the
  // same bytes finishing meanwhile can never have its fresh file removed.
  evict(): void {
    for (const item of [...this.items.values()]) {
      if (this.total <= this.maxBytes) break;
      if (item.leases > 0) continue;
      this.forget(item);
      rmSync(this.pathOf(item.sha256), { force: true });
      rmSync(join(this.dir, 'md5', item.md5), { force: true });
      this.log?.info({ sha256: item.sha256, size: item.size }, 'artifact evicted');
    }
  }

  private pathOf(sha256: string): string {
    return join(this.dir, 'sha256', sha256);
  }

  private remember(file: StoredArtifact): void {
    this.items.set(file.sha256, { ...file, leases: 0 });
    this.md5Index.set(file.md5, file.sha256);
    this.total += file.size;
  }

  private forget(item: Item): void {
    this.items.delete(item.sha256);
    if (this.md5Index.get(item.md5) === item.sha256) this.md5Index.delete(item.md5);
    this.total -= item.size;
  }
}

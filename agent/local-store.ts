// <root>/state/local.json: loaded once at start, checked against the disk (a crash may have
// happened between an action and its record), then updated and written atomically after
// every step.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import { readJson, writeJsonAtomic } from '../lib/atomic-json.js';
import type { Layout } from './layout.js';
import { emptyLocalState, emptyPackage, type LocalPackage, type LocalState } from './local-state.js';
import { readCurrent } from './switch-link.js';

export class LocalStore {
  readonly path: string;
  private state: LocalState;
  /** The errno code of the last failed save, null when the state on disk is current. */
  saveError: string | null = null;

  constructor(private readonly layout: Layout, private readonly log: Logger) {
    this.path = join(layout.state, 'local.json');
    let loaded: LocalState | undefined;
    try {
      loaded = readJson<LocalState>(this.path);
    } catch (err) {
      // A corrupt file cannot come from our atomic writes; keep it for inspection and start over.
      log.error({ err: (err as Error).message }, 'local state unreadable; starting from the disk');
      try {
        renameSync(this.path, `${this.path}.corrupt`);
      } catch {
        /* best effort */
      }
    }
    this.state = loaded?.format === 1 ? loaded : emptyLocalState();
    for (const [name, p] of Object.entries(this.state.packages)) this.state.packages[name] = { ...emptyPackage(name), ...p };
    this.recover();
    this.save();
  }

  get(): LocalState {
    return this.state;
  }

  pkg(name: string): LocalPackage | undefined {
    return this.state.packages[name];
  }

  /** Changes one package's record (creating it) and persists the state. */
  updatePkg(name: string, fn: (p: LocalPackage) => void): void {
    const p = this.state.packages[name] ?? emptyPackage(name);
    fn(p);
    this.state.packages[name] = p;
    this.save();
  }

  deletePkg(name: string): void {
    delete this.state.packages[name];
    this.save();
  }

  setAppliedEtag(etag: string | null): void {
    if (this.state.appliedEtag === etag) return;
    this.state.appliedEtag = etag;
    this.save();
  }

  /**
   * Writes the state. A write that fails (full or read-only disk) is logged once per cause and
   * retried with the next change: the agent keeps running from memory, the record on disk stays
   * the previous complete one, and recover() makes any record true to the disk after a restart.
   */
  save(): void {
    try {
      writeJsonAtomic(this.path, this.state);
      if (this.saveError) this.log.info({ path: this.path }, 'local state saved again');
      this.saveError = null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      if (this.saveError !== code) this.log.error({ path: this.path, err: (err as Error).message }, 'cannot save the local state; keeping it in memory');
      this.saveError = code;
    }
  }

  /**
   * Makes the record true to the disk: versions whose folder vanished are forgotten; folders
   * nobody recorded (an unpack whose record was lost) and temporary leftovers are deleted; the
   * `current` link wins over the record (the switch happened, its record did not); run states
   * become unknown, to be asked again.
   */
  private recover(): void {
    const l = this.layout;
    for (const p of Object.values(this.state.packages)) {
      const dir = l.packageDir(p.name);
      p.installed = p.installed.filter((v) => isDir(l.versionDir(p.name, v)));
      const linked = readCurrent(dir);
      if (linked !== null && linked !== p.current && p.installed.includes(linked)) {
        this.log.warn({ pkg: p.name, recorded: p.current, linked }, 'current link differs from the record; following the link');
        p.current = linked;
        p.running = null;
      }
      if (p.current !== null && !p.installed.includes(p.current)) {
        this.log.warn({ pkg: p.name, version: p.current }, 'current version folder is missing; it will be installed again');
        p.current = null;
        p.running = null;
        p.pending = null;
      }
      if (p.current !== null && p.running !== false) p.running = null;
      if (p.downloaded && !existsSync(l.download(p.name, p.downloaded.version))) p.downloaded = null;
    }
    this.sweep();
  }

  /** Deletes version folders and temporary entries no record accounts for. */
  private sweep(): void {
    const l = this.layout;
    let names: string[] = [];
    try {
      names = readdirSync(l.packages);
    } catch {
      return;
    }
    for (const name of names) {
      const p = this.state.packages[name];
      const dir = l.packageDir(name);
      if (name.startsWith('.')) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      // No record at all (local.json lost or foreign files): leave it alone, it may be running.
      if (!p) continue;
      for (const entry of safeList(dir)) {
        if (entry === 'current') continue;
        if (p.installed.includes(entry)) continue;
        this.log.warn({ pkg: name, entry }, 'removing a folder no record accounts for (an interrupted unpack or switch)');
        rmSync(join(dir, entry), { recursive: true, force: true });
      }
    }
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// A fleet repository in a local directory (development): watched with chokidar, reloaded after a
// quiet period (debounce). The revision is a hash of the tree's content, so an edit that changes
// nothing does nothing; a broken edit is reported and the last good tree keeps being served.
import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'chokidar';
import { memoryTree } from '../../specs/load/tree-reader.js';
import { coalesceRuns } from '../coalesce-runs.js';
import { dirTreeReader } from '../dir-tree-reader.js';
import { errorMessage } from '../errors.js';
import { fetchFailed, fetchSucceeded } from './repo-status.js';
import type { RepoHooks, RepoSource, RepoStatus } from './repo-types.js';

export interface DirRepoSourceOptions extends RepoHooks {
  dir: string;
  debounceMs: number;
  /** Watch for changes (default true). */
  watch?: boolean;
}

export function createDirRepoSource(opts: DirRepoSourceOptions): RepoSource {
  const log = opts.log.child({ component: 'dir-source', dir: opts.dir });
  const st: RepoStatus = {
    kind: 'dir', location: opts.dir, branch: null, lastFetchAt: null, lastFetchOk: null, lastError: null, consecutiveFailures: 0, nextFetchAt: null,
  };
  let watcher: FSWatcher | null = null;
  let timer: NodeJS.Timeout | null = null;

  async function loadOnce(): Promise<void> {
    st.lastFetchAt = new Date().toISOString();
    try {
      const reader = dirTreeReader(opts.dir);
      const files: Record<string, string> = {};
      const hash = createHash('sha256');
      for (const path of await reader.list()) {
        if (path.split('/').some((s) => s.startsWith('.'))) continue;
        const text = await reader.read(path);
        files[path] = text;
        hash.update(`${path}\0${text.length}\0${text}\0`);
      }
      await opts.apply(memoryTree(files), `dir-${hash.digest('hex').slice(0, 40)}`, { time: new Date().toISOString() });
      fetchSucceeded(st, opts);
    } catch (err) {
      const message = errorMessage(err);
      fetchFailed(st, opts, message);
      log.warn({ err: message }, 'reading the fleet directory failed; keeping the last good revision');
    }
  }

  const run = coalesceRuns(loadOnce);

  function changed(): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void run();
    }, opts.debounceMs);
  }

  return {
    async start() {
      await run();
      if (opts.watch === false) return;
      watcher = watch(opts.dir, { ignoreInitial: true, ignored: (p: string) => /(^|[/\\])(\.git|node_modules)([/\\]|$)/.test(p) });
      watcher.on('all', changed);
      watcher.on('error', (err) => log.warn({ err: errorMessage(err) }, 'watching the fleet directory failed'));
      await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
    },
    trigger(reason) {
      log.info({ reason }, 'reload requested');
      return run();
    },
    status: () => ({ ...st }),
    async close() {
      if (timer) clearTimeout(timer);
      await watcher?.close();
      await run.running;
    },
  };
}

// Users and devices from the fleet repository: a directory (read as it is) or a git URL
// (cloned into <data>/repo with isomorphic-git, fetched again on every refresh). A refresh
// that fails or finds an invalid tree keeps the last good fleet and records the error.
import fs, { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { dirTreeReader } from '../lib/dir-tree-reader.js';
import { errorMessage } from '../lib/errors.js';
import { gitTreeReader } from '../lib/git-tree-reader.js';
import type { Logger } from '../lib/log.js';
import { formatProblem } from '../specs/load/problem.js';
import { loadFleet } from '../specs/load/load-fleet.js';
import type { DeviceSpec } from '../specs/schema/device.js';
import type { UserSpec } from '../specs/schema/user.js';

export interface FleetView {
  revision: string | null;
  users: Map<string, UserSpec>;
  devices: Map<string, DeviceSpec>;
}

export class FleetSource {
  current: FleetView = { revision: null, users: new Map(), devices: new Map() };
  lastError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: { repo?: string; dataDir: string; branch?: string; log: Logger; extraUsers?: UserSpec[] }) {
    for (const u of opts.extraUsers ?? []) this.current.users.set(u.name, u);
  }

  private isUrl(): boolean {
    return !!this.opts.repo && /^(https?|file):\/\//.test(this.opts.repo);
  }

  /** Reads the repository again; concurrent calls share one read. */
  refresh(): Promise<void> {
    this.running ??= this.read().finally(() => (this.running = undefined));
    return this.running;
  }

  private async read(): Promise<void> {
    const { repo } = this.opts;
    if (!repo) return;
    try {
      let result;
      if (this.isUrl()) {
        const dir = join(this.opts.dataDir, 'repo');
        const ref = this.opts.branch;
        if (!existsSync(join(dir, '.git'))) {
          mkdirSync(dir, { recursive: true });
          await git.clone({ fs, http, dir, url: repo, ref, singleBranch: true, depth: 1, noCheckout: true });
        } else {
          await git.fetch({ fs, http, dir, url: repo, ref, singleBranch: true, depth: 1 });
        }
        const branch = ref ?? (await git.currentBranch({ fs, dir })) ?? 'HEAD';
        const reader = await gitTreeReader({ dir, ref: `refs/remotes/origin/${branch}` }).catch(() => gitTreeReader({ dir, ref: 'HEAD' }));
        result = await loadFleet(reader, { revision: reader.commit });
      } else {
        result = await loadFleet(dirTreeReader(repo));
      }
      if (!result.ok) {
        const errors = result.problems.filter((p) => p.severity === 'error');
        throw new Error(`fleet repository invalid, keeping the last good one:\n${errors.slice(0, 5).map(formatProblem).join('\n')}`);
      }
      const users = new Map(result.spec.users.map((u) => [u.name, u] as const));
      for (const u of this.opts.extraUsers ?? []) if (!users.has(u.name)) users.set(u.name, u);
      this.current = { revision: result.spec.revision, users, devices: new Map(result.spec.devices.map((d) => [d.id, d] as const)) };
      this.lastError = undefined;
    } catch (err) {
      this.lastError = errorMessage(err);
      this.opts.log.warn({ err: this.lastError }, 'fleet repository refresh failed');
    }
  }

  start(intervalMs: number): void {
    if (!this.opts.repo || intervalMs <= 0) return;
    this.timer = setInterval(() => void this.refresh(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

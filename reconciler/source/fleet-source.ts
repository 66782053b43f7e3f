// Meta's source of desired state: the shared fleet repository source (lib/fleet-repo) feeding the
// RevisionApplier, its status joined with what the applier made of the revisions.
import { createRepoSource, type RepoSource, type RepoStatus } from '../../lib/fleet-repo/repo-source.js';
import type { Logger } from '../../lib/log.js';
import { verifyCommit } from '../../lib/verify-commit.js';
import type { MetaConfig } from '../config.js';
import type { MetaMetrics } from '../metrics/metrics.js';
import type { ApplierStatus, RevisionApplier } from './revision-applier.js';

export interface SourceStatus extends RepoStatus, ApplierStatus {}

export interface FleetSource extends RepoSource {
  status(): SourceStatus;
}

export function createFleetSource(config: MetaConfig, deps: { applier: RevisionApplier; log: Logger; metrics: MetaMetrics }): FleetSource {
  const { applier, metrics } = deps;
  const repo = createRepoSource({
    repo: config.repo,
    branch: config.branch,
    path: config.path,
    dataDir: config.dataDir,
    intervalMs: config.fetchIntervalMs,
    auth: config.git,
    debounceMs: config.debounceMs,
    log: deps.log,
    apply: (reader, revision, info) => applier.apply(reader, revision, info),
    // --verify-commits: a commit that no allowed signer signed is refused like an invalid one.
    async admit(commit, dir, info) {
      if (!config.allowedSigners || applier.status.applied?.revision === commit) return true;
      if (applier.status.rejected?.revision === commit) return false; // refused already
      const verdict = await verifyCommit({ dir, oid: commit, allowedSigners: config.allowedSigners });
      if (!verdict.ok) {
        await applier.refuse(commit, info ?? { author: verdict.author }, verdict.reason);
        return false;
      }
      deps.log.debug({ commit, signer: verdict.signer }, 'commit signature verified');
      return true;
    },
    onFetch: (ok, seconds) => metrics.fetched(ok, seconds),
  });
  return {
    start: () => repo.start(),
    trigger: (reason) => repo.trigger(reason),
    close: () => repo.close(),
    status: () => ({ ...repo.status(), ...applier.status }),
  };
}

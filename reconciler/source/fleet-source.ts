// Meta's source of desired state: the shared fleet repository source (lib/fleet-repo) feeding the
// RevisionApplier, its status joined with what the applier made of the revisions.
import { createRepoSource, type RepoSource, type RepoStatus } from '../../lib/fleet-repo/repo-source.js';
import type { Logger } from '../../lib/log.js';
import type { CommitVerifier } from '../../lib/commit-signers/commit-verifier.js';
import type { MetaConfig } from '../config.js';
import type { MetaMetrics } from '../metrics/metrics.js';
import type { ApplierStatus, RevisionApplier } from './revision-applier.js';

export interface SourceStatus extends RepoStatus, ApplierStatus {}

export interface FleetSource extends RepoSource {
  status(): SourceStatus;
}

export function createFleetSource(config: MetaConfig, deps: { applier: RevisionApplier; log: Logger; metrics: MetaMetrics; verifier?: CommitVerifier | null }): FleetSource {
  const { applier, metrics } = deps;
  const verifier = deps.verifier ?? null;
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
    // --verify-commits: a commit that no allowed signer signed is refused like an invalid one. The
    // verifier caches its verdicts per commit, and forgets them when the signers change, so a
    // refused tip is checked again then (and applied if it now verifies).
    async admit(commit, dir, info) {
      if (!verifier || applier.status.applied?.revision === commit) return true;
      const verdict = await verifier.verify({ dir, oid: commit });
      if (!verdict.ok) {
        applier.refuse(commit, info ?? { author: verdict.author }, verdict.reason);
        return false;
      }
      if (applier.forgetRefusal(commit)) deps.log.info({ commit, signer: verdict.signer }, 'a commit refused before now verifies');
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

// The artifact cache's routes in meta: GET /v1/artifacts/:sha256, /v1/artifacts/md5/:md5 (agent or
// admin token; with --client-ca the v1 agent rule of client-cert.ts, or the admin token) and the legacy tarball paths (source networks of --legacy-allow). The cache lives in
// <data>/artifacts and serves only checksums of the last good fleet revision.
import { join } from 'node:path';
import { ArtifactCache } from '../artifacts/artifact-cache.js';
import { buildArtifactIndex, lookupArtifact } from '../artifacts/artifact-index.js';
import { registerArtifactRoutes } from '../artifacts/artifact-routes.js';
import { ArtifactStore } from '../artifacts/artifact-store.js';
import type { MetaDeps, RoutePlugin } from '../deps.js';
import { clientCertAuth } from '../http/client-cert.js';
import { bearerOf, TokenSet } from '../http/tokens.js';
import { legacySettings } from '../legacy/legacy-settings.js';
import { addressMatcher } from '../legacy/source-network.js';

export const artifactRoutes: RoutePlugin = async (app, deps: MetaDeps) => {
  const settings = legacySettings(deps.config);
  const log = deps.log.child({ component: 'artifacts' });
  const store = new ArtifactStore({ dir: join(deps.config.dataDir, 'artifacts'), maxBytes: settings.artifactCacheBytes, log });
  await store.open();
  const cache = new ArtifactCache({
    store,
    log,
    lookup: (key) => {
      const compiled = deps.desired.compiled;
      return compiled ? lookupArtifact(buildArtifactIndex(compiled.spec), key) : undefined;
    },
  });
  // Rebuilt when the secrets are read again (SIGHUP replaces these config values).
  let tokensFor: [readonly string[], string] | null = null;
  let tokens = new TokenSet([]);
  const current = (): TokenSet => {
    if (tokensFor?.[0] !== deps.config.agentTokens || tokensFor[1] !== deps.config.adminToken) {
      tokensFor = [deps.config.agentTokens, deps.config.adminToken];
      tokens = new TokenSet([...deps.config.agentTokens, deps.config.adminToken]);
    }
    return tokens;
  };
  let adminFor = '';
  let adminTokens = new TokenSet([]);
  const admin = (): TokenSet => (adminFor === deps.config.adminToken ? adminTokens : (adminTokens = new TokenSet([(adminFor = deps.config.adminToken)])));
  await registerArtifactRoutes(app, {
    cache,
    authorize: async (req) => {
      const t = bearerOf(req);
      if (deps.config.tls?.clientCa) {
        // The agent rule of the v1 API with --client-ca (a certificate, or an enrolled credential
        // when enrollment is on; revoked devices refused), or the admin token.
        if (t !== null && admin().matches(t)) return true;
        const r = await clientCertAuth(req, { credentials: deps.enrollments, enrollment: () => deps.enrollTokens.size > 0, revoked: (id) => deps.enrollments.revocation(id) });
        return 'id' in r ? true : r;
      }
      if (t === null) return false;
      // An enrolled device's own credential (valid, not revoked) fetches artifacts too.
      const enrolled = await deps.enrollments.authenticate(t);
      return enrolled ? 'id' in enrolled : current().matches(t);
    },
    legacyAllowed: settings.enabled ? addressMatcher(settings.allow) : null,
  });
  deps.metrics.addGauge({ name: 'drover_artifact_cache_bytes', help: 'Bytes held by the artifact cache.', values: () => [{ value: store.usedBytes }] });
  deps.metrics.addGauge({ name: 'drover_artifact_cache_files', help: 'Artifacts held by the artifact cache.', values: () => [{ value: store.count }] });
  deps.metrics.addCounter({
    name: 'drover_artifact_cache_requests_total',
    help: 'Artifact requests, by outcome (hit, miss, upstream fetch, upstream failure).',
    labelNames: ['outcome'],
    values: () => [
      { labels: { outcome: 'hit' }, value: cache.stats.hits },
      { labels: { outcome: 'miss' }, value: cache.stats.misses },
      { labels: { outcome: 'upstream_fetch' }, value: cache.stats.upstreamFetches },
      { labels: { outcome: 'upstream_failure' }, value: cache.stats.upstreamFailures },
    ],
  });
};

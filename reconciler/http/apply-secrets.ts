// Installs the secrets of a configuration loaded again (SIGHUP: the `…-file` options are read
// again) into the running meta: the live config object is updated in place, so every reader of
// `deps.config` (webhook, git credentials, dashboard sign-in) sees the new values, and the token
// sets used by the auth hooks are replaced. Nothing here is logged.
import type { MetaConfig } from '../config.js';
import type { TokenSet } from './tokens.js';

export function applySecrets(live: MetaConfig, fresh: MetaConfig, sets: { agentTokens: TokenSet; adminTokens: TokenSet; enrollTokens: TokenSet }): void {
  live.agentTokens = fresh.agentTokens;
  live.enrollTokens = fresh.enrollTokens;
  sets.enrollTokens.replace(fresh.enrollTokens);
  live.adminToken = fresh.adminToken;
  live.webhookSecret = fresh.webhookSecret;
  live.metricsToken = fresh.metricsToken;
  live.notifyToken = fresh.notifyToken;
  live.notifySecret = fresh.notifySecret;
  Object.assign(live.git, fresh.git);
  live.deviceTokens.clear();
  for (const [hash, id] of fresh.deviceTokens) live.deviceTokens.set(hash, id);
  sets.agentTokens.replace(fresh.agentTokens);
  sets.adminTokens.replace([fresh.adminToken]);
}

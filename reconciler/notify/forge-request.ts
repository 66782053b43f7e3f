// The commit-status request of each forge, as its API documents it. Pure: the caller sends it.
//   GitHub  POST {api}/repos/{owner}/{repo}/statuses/{sha}   Authorization: Bearer TOKEN,
//           Accept: application/vnd.github+json; JSON { state, target_url, description, context }
//           with state pending | success | failure | error
//   GitLab  POST {api}/projects/{id}/statuses/{sha}           PRIVATE-TOKEN: TOKEN;
//           { state, name, description, target_url } with state pending | running | success | failed | canceled
//   Gitea   POST {api}/repos/{owner}/{repo}/statuses/{sha}    Authorization: token TOKEN;
//           JSON { state, target_url, description, context } with state pending | success | error | failure | warning
// The URL given to --notify-commit-status is the repository's (or GitLab project's) API URL.
import type { CommitState } from './revision-outcome.js';

export type Forge = 'github' | 'gitlab' | 'gitea';
export const FORGES: readonly Forge[] = ['github', 'gitlab', 'gitea'];

export interface CommitStatusTarget {
  forge: Forge;
  /** e.g. https://api.github.com/repos/OWNER/REPO, https://gitlab.example/api/v4/projects/42 */
  apiUrl: string;
}

export interface StatusUpdate {
  sha: string;
  state: CommitState;
  /** Some devices applied it already (GitLab shows `running` instead of `pending`). */
  started: boolean;
  description: string;
  targetUrl: string | null;
  context: string;
}

export interface OutgoingRequest {
  method: 'POST';
  url: string;
  headers: Record<string, string>;
  body: string;
}

const API_PATH: Record<Forge, RegExp> = {
  github: /\/repos\/[^/]+\/[^/]+$/,
  gitlab: /\/projects\/[^/]+$/,
  gitea: /\/repos\/[^/]+\/[^/]+$/,
};

/** Parses `forge:URL`; a string says what is wrong. */
export function parseCommitStatusTarget(text: string): CommitStatusTarget | string {
  const m = /^([a-z]+):(https?:\/\/.+)$/i.exec(text.trim());
  if (!m) return `${JSON.stringify(text)} must be FORGE:URL, e.g. github:https://api.github.com/repos/OWNER/REPO`;
  const forge = m[1]!.toLowerCase() as Forge;
  if (!FORGES.includes(forge)) return `unknown forge ${JSON.stringify(m[1])}: one of ${FORGES.join(', ')}`;
  let url: URL;
  try {
    url = new URL(m[2]!);
  } catch {
    return `${JSON.stringify(m[2])} is not a URL`;
  }
  if (url.username || url.password) return 'the URL must not carry credentials: give --notify-token-file';
  const apiUrl = url.toString().replace(/\/+$/, '');
  if (!API_PATH[forge].test(new URL(apiUrl).pathname)) {
    const example = forge === 'gitlab' ? 'https://gitlab.example/api/v4/projects/ID' : forge === 'gitea' ? 'https://gitea.example/api/v1/repos/OWNER/REPO' : 'https://api.github.com/repos/OWNER/REPO';
    return `${forge}: the URL must be the repository's API URL, e.g. ${example}`;
  }
  return { forge, apiUrl };
}

/** The forge's word for a state. */
export function forgeState(forge: Forge, state: CommitState, started: boolean): string {
  if (forge === 'gitlab') return state === 'failure' ? 'failed' : state === 'pending' && started ? 'running' : state;
  return state;
}

export function commitStatusRequest(target: CommitStatusTarget, token: string, u: StatusUpdate): OutgoingRequest {
  const url = `${target.apiUrl}/statuses/${encodeURIComponent(u.sha)}`;
  const state = forgeState(target.forge, u.state, u.started);
  const json = { 'content-type': 'application/json', 'user-agent': 'drover-meta' };
  switch (target.forge) {
    case 'github':
      return {
        method: 'POST', url,
        headers: { ...json, accept: 'application/vnd.github+json', authorization: `Bearer ${token}`, 'x-github-api-version': '2022-11-28' },
        body: JSON.stringify({ state, target_url: u.targetUrl ?? undefined, description: u.description, context: u.context }),
      };
    case 'gitlab':
      return {
        method: 'POST', url,
        headers: { ...json, accept: 'application/json', 'private-token': token },
        body: JSON.stringify({ state, name: u.context, description: u.description, target_url: u.targetUrl ?? undefined }),
      };
    case 'gitea':
      return {
        method: 'POST', url,
        headers: { ...json, accept: 'application/json', authorization: `token ${token}` },
        body: JSON.stringify({ state, target_url: u.targetUrl ?? undefined, description: u.description, context: u.context }),
      };
  }
}

/**
 * The part of an update a forge would show differently, so an unchanged one is not sent again.
 * GitLab refuses a status in the state it already has (`Cannot transition status`): only a new
 * state is sent there.
 */
export function statusKey(forge: Forge, u: StatusUpdate): string {
  const state = forgeState(forge, u.state, u.started);
  return forge === 'gitlab' ? `${u.sha}|${state}` : `${u.sha}|${state}|${u.description}|${u.targetUrl ?? ''}`;
}

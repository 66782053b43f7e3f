// isomorphic-git (with pako, ~1.5 MB of heap in a running meta: its 1.2 MB CommonJS bundle is kept
// as source text) loaded on first use: a meta or jump that reads its fleet from a local directory,
// without --verify-commits, never loads it (docs/meta.md "Memory"). Every use is in an async path.
import type { HttpClient } from 'isomorphic-git';

type Git = typeof import('isomorphic-git').default;

let loaded: Promise<Git> | null = null;
let http: Promise<HttpClient> | null = null;

/** The isomorphic-git module (its default export), imported the first time it is asked for. */
export function loadGit(): Promise<Git> {
  return (loaded ??= import('isomorphic-git').then((m) => m.default));
}

/** isomorphic-git's Node HTTP client, imported the first time it is asked for. */
export function loadGitHttp(): Promise<HttpClient> {
  return (http ??= import('isomorphic-git/http/node').then((m) => m.default));
}

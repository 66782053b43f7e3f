// Verifies a push webhook from GitHub (X-Hub-Signature-256: sha256=HMAC), Gitea/Gogs
// (X-Gitea-Signature / X-Gogs-Signature: HMAC hex) or GitLab (X-Gitlab-Token: the secret itself).
// All comparisons are constant-time. Pure.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type WebhookVerdict =
  | { ok: true; provider: 'github' | 'gitea' | 'gitlab'; event: string }
  | { ok: false; reason: string };

const sameHash = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

export function verifyWebhook(headers: Record<string, string | string[] | undefined>, body: Buffer, secret: string): WebhookVerdict {
  const h = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const hmac = createHmac('sha256', secret).update(body).digest('hex');
  const gitea = h('x-gitea-signature') ?? h('x-gogs-signature');
  if (gitea !== undefined) {
    return sameHash(gitea.trim().toLowerCase(), hmac) ? { ok: true, provider: 'gitea', event: h('x-gitea-event') ?? h('x-gogs-event') ?? 'push' } : { ok: false, reason: 'bad X-Gitea-Signature' };
  }
  const github = h('x-hub-signature-256');
  if (github !== undefined) {
    return sameHash(github.trim().toLowerCase(), `sha256=${hmac}`) ? { ok: true, provider: 'github', event: h('x-github-event') ?? 'push' } : { ok: false, reason: 'bad X-Hub-Signature-256' };
  }
  const gitlab = h('x-gitlab-token');
  if (gitlab !== undefined) {
    return sameHash(gitlab, secret) ? { ok: true, provider: 'gitlab', event: h('x-gitlab-event') ?? 'Push Hook' } : { ok: false, reason: 'bad X-Gitlab-Token' };
  }
  return { ok: false, reason: 'no signature: expected X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token' };
}

/** The branch a push event is about (`refs/heads/main` → `main`), when the payload says. */
export function pushedBranch(body: Buffer): string | null {
  try {
    let text = body.toString('utf8');
    if (text.startsWith('payload=')) text = decodeURIComponent(text.slice(8).replace(/\+/g, ' '));
    const ref = (JSON.parse(text) as { ref?: unknown }).ref;
    return typeof ref === 'string' && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null;
  } catch {
    return null;
  }
}

// The generic JSON notification (`--notify URL`, for chat bridges and scripts): the revision, its
// commit, the counts, the failed devices and paused rollouts, signed like meta's incoming webhook
// with HMAC-SHA256 of the body (`X-Drover-Signature-256: sha256=HEX`, secret from
// --notify-secret-file). Pure.
import { createHmac } from 'node:crypto';
import type { OutgoingRequest } from './forge-request.js';
import type { RevisionOutcome } from './revision-outcome.js';

export interface CommitInfoView {
  author: string | null;
  message: string | null;
  time: string | null;
}

export interface NotifyPayload {
  event: 'revision.status';
  revision: string;
  author: string | null;
  message: string | null;
  committedAt: string | null;
  appliedAt: string;
  state: RevisionOutcome['state'];
  description: string;
  counts: RevisionOutcome['counts'];
  failedDevices: RevisionOutcome['failed'];
  pausedRollouts: string[];
  url: string | null;
}

export const SIGNATURE_HEADER = 'x-drover-signature-256';

export function notifyPayload(revision: string, info: CommitInfoView | null, appliedAt: string, outcome: RevisionOutcome, url: string | null): NotifyPayload {
  return {
    event: 'revision.status',
    revision,
    author: info?.author ?? null,
    message: info?.message ?? null,
    committedAt: info?.time ?? null,
    appliedAt,
    state: outcome.state,
    description: outcome.description,
    counts: outcome.counts,
    failedDevices: outcome.failed,
    pausedRollouts: outcome.pausedRollouts,
    url,
  };
}

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookRequest(url: string, payload: NotifyPayload, secret: string | null): OutgoingRequest {
  const body = JSON.stringify(payload);
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'user-agent': 'drover-meta', 'x-drover-event': payload.event, ...(secret ? { [SIGNATURE_HEADER]: signBody(body, secret) } : {}) },
    body,
  };
}

/** What a receiver would see change (the appliedAt and url of a revision do not). */
export function webhookKey(p: NotifyPayload): string {
  return JSON.stringify([p.revision, p.state, p.counts, p.failedDevices.map((f) => [f.id, f.reason]), p.pausedRollouts]);
}

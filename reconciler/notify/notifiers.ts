// The notifiers --notify-commit-status and --notify build: a commit status per forge, a signed JSON
// webhook per URL. Each sends through a LatestSender (only changes, newest first, retried). A
// revision that is not a commit (a directory's content hash) gets no commit status.
import type { Logger } from '../../lib/log.js';
import { commitStatusRequest, statusKey, type CommitStatusTarget, type StatusUpdate } from './forge-request.js';
import { LatestSender, type SenderOptions } from './latest-sender.js';
import type { RevisionNotifier, RevisionReport } from './revision-tracker.js';
import { notifyPayload, webhookKey, webhookRequest } from './webhook-request.js';

export const STATUS_CONTEXT = 'drover';
const COMMIT = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** The dashboard's page of a revision, under meta's public URL. */
export function revisionPageUrl(publicUrl: string | null, revision: string): string | null {
  return publicUrl ? `${publicUrl.replace(/\/+$/, '')}/ui/revisions/${encodeURIComponent(revision)}` : null;
}

export interface NotifierSecrets {
  /** Read at each send, so SIGHUP's new token is used. */
  token(): string | null;
  secret(): string | null;
  publicUrl(): string | null;
}

type SenderTuning = Omit<SenderOptions, 'log' | 'name'>;

export function commitStatusNotifier(target: CommitStatusTarget, s: NotifierSecrets, log: Logger, tuning: SenderTuning = {}): RevisionNotifier & { sender: LatestSender } {
  const sender = new LatestSender({ log, name: target.forge, ...tuning });
  return {
    sender,
    update(r: RevisionReport) {
      const token = s.token();
      if (!token || !COMMIT.test(r.revision)) return;
      const u: StatusUpdate = {
        sha: r.revision,
        state: r.outcome.state,
        started: r.outcome.counts.applied > 0,
        description: r.outcome.description,
        targetUrl: revisionPageUrl(s.publicUrl(), r.revision),
        context: STATUS_CONTEXT,
      };
      sender.push(statusKey(target.forge, u), commitStatusRequest(target, token, u));
    },
    close: () => sender.close(),
  };
}

export function webhookNotifier(url: string, s: NotifierSecrets, log: Logger, tuning: SenderTuning = {}): RevisionNotifier & { sender: LatestSender } {
  const sender = new LatestSender({ log, name: 'webhook', ...tuning });
  return {
    sender,
    update(r: RevisionReport) {
      const payload = notifyPayload(r.revision, r.info, r.appliedAt, r.outcome, revisionPageUrl(s.publicUrl(), r.revision));
      sender.push(webhookKey(payload), webhookRequest(url, payload, s.secret()));
    },
    close: () => sender.close(),
  };
}

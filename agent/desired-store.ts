// <root>/state/desired.json: the last desired document meta sent, kept so that the agent keeps
// running it across restarts while meta is unreachable.
import { join } from 'node:path';
import { DesiredDocumentSchema, type DesiredDocument } from '../specs/wire/desired.js';
import type { Logger } from '../lib/log.js';
import { readJson, writeJsonAtomic } from '../lib/atomic-json.js';

export interface StoredDesired {
  etag: string;
  revision: string | null;
  heartbeatMs: number;
  document: DesiredDocument;
  receivedAt: string;
}

export function desiredPath(stateDir: string): string {
  return join(stateDir, 'desired.json');
}

export function loadDesired(stateDir: string, log: Logger): StoredDesired | null {
  try {
    const raw = readJson<StoredDesired>(desiredPath(stateDir));
    if (!raw) return null;
    const doc = DesiredDocumentSchema.safeParse(raw.document);
    if (!doc.success || typeof raw.etag !== 'string') {
      log.error({ path: desiredPath(stateDir) }, 'stored desired document is invalid; waiting for meta');
      return null;
    }
    return { ...raw, document: doc.data };
  } catch (err) {
    log.error({ err: (err as Error).message }, 'stored desired document unreadable; waiting for meta');
    return null;
  }
}

export function saveDesired(stateDir: string, value: StoredDesired): void {
  writeJsonAtomic(desiredPath(stateDir), value);
}

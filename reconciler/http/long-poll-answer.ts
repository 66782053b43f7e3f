// The answer to a long-poll heartbeat, written straight to the raw response.
// A new revision wakes every parked agent at once (tens of thousands): each answer must cost
// little. What depends on the document only (etag, revision, the desired JSON and its UTF-8 length)
// is built once per distinct document and shared by every device that gets it; per answer only the
// device id and the jittered heartbeat are written. The answer goes out as one string with one
// end(): node puts the header in front of it and writes both with one write (no Buffer made and
// copied per answer, no fastify reply pipeline: hooks, content-type parsing and serializers are
// not needed here). The text is the same JSON as the heartbeat route's immediate answer.
import type { ServerResponse } from 'node:http';
import { PROTOCOL_VERSION } from '../../specs/wire/desired.js';
import type { DesiredEntry } from '../desired/desired-state.js';

interface EntryParts {
  /** `,"etag":"…","revision":…,"heartbeatMs":` */
  middle: string;
  /** `,"desired":{…}}`, for an agent that holds another etag, and its length in UTF-8. */
  withDocument: string;
  withDocumentBytes: number;
}

export interface LongPollAnswer {
  text: string;
  /** UTF-8 length of `text` (the content-length). */
  bytes: number;
}

const PREFIX = `{"protocol":${PROTOCOL_VERSION},"deviceId":`;
const partsOf = new WeakMap<DesiredEntry, EntryParts>();

function entryParts(entry: DesiredEntry): EntryParts {
  let b = partsOf.get(entry);
  if (!b) {
    const withDocument = `,"desired":${entry.json}}`;
    b = {
      middle: `,"etag":"${entry.etag}","revision":${entry.revision === null ? 'null' : JSON.stringify(entry.revision)},"heartbeatMs":`,
      withDocument,
      withDocumentBytes: Buffer.byteLength(withDocument),
    };
    partsOf.set(entry, b);
  }
  return b;
}

/** The answer's JSON text (what an immediate answer sends): the document only when the agent holds another etag. */
export function answerText(deviceId: string, entry: DesiredEntry, heldEtag: string | null, heartbeatMs: number): string {
  const parts = entryParts(entry);
  const head = `${PREFIX}${JSON.stringify(deviceId)}${parts.middle}${heartbeatMs}`;
  return heldEtag === entry.etag ? head + '}' : head + parts.withDocument;
}

/** The answer's JSON with its length: the document only when the agent holds another etag. */
export function longPollAnswer(deviceId: string, entry: DesiredEntry, heldEtag: string | null, heartbeatMs: number): LongPollAnswer {
  const parts = entryParts(entry);
  const head = `${PREFIX}${JSON.stringify(deviceId)}${parts.middle}${heartbeatMs}`;
  const headBytes = Buffer.byteLength(head);
  return heldEtag === entry.etag ? { text: head + '}', bytes: headBytes + 1 } : { text: head + parts.withDocument, bytes: headBytes + parts.withDocumentBytes };
}

/** Sends a 200 JSON answer on the raw response (its request hijacked from fastify); nothing when the client is gone. */
export function writeJsonAnswer(res: ServerResponse, answer: LongPollAnswer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, ['content-type', 'application/json; charset=utf-8', 'content-length', String(answer.bytes)]);
  res.end(answer.text);
}

// The answer to a long-poll heartbeat, as bytes written straight to the raw response.
// A new revision wakes every parked agent at once (tens of thousands): each answer must cost
// little. What depends on the document only (etag, revision, the desired JSON, UTF-8 encoded) is
// built once per distinct document and shared by every device that gets it; per answer only the
// device id and the jittered heartbeat are written, into one Buffer sent with one end() (no
// fastify reply pipeline: hooks, content-type parsing and serializers are not needed here).
// The bytes are the same JSON as the heartbeat route's immediate answer.
import type { ServerResponse } from 'node:http';
import { PROTOCOL_VERSION } from '../../specs/wire/desired.js';
import type { DesiredEntry } from '../desired/desired-state.js';

interface EntryBytes {
  /** `,"etag":"…","revision":…,"heartbeatMs":` */
  middle: string;
  /** `,"desired":{…}}`, for an agent that holds another etag. */
  withDocument: Buffer;
}

const PREFIX = `{"protocol":${PROTOCOL_VERSION},"deviceId":`;
const CLOSE = Buffer.from('}');
const bytesOf = new WeakMap<DesiredEntry, EntryBytes>();

function entryBytes(entry: DesiredEntry): EntryBytes {
  let b = bytesOf.get(entry);
  if (!b) {
    b = {
      middle: `,"etag":"${entry.etag}","revision":${entry.revision === null ? 'null' : JSON.stringify(entry.revision)},"heartbeatMs":`,
      withDocument: Buffer.from(`,"desired":${entry.json}}`),
    };
    bytesOf.set(entry, b);
  }
  return b;
}

/** The answer's JSON: the document only when the agent holds another etag. */
export function longPollAnswer(deviceId: string, entry: DesiredEntry, heldEtag: string | null, heartbeatMs: number): Buffer {
  const parts = entryBytes(entry);
  const head = `${PREFIX}${JSON.stringify(deviceId)}${parts.middle}${heartbeatMs}`;
  const tail = heldEtag === entry.etag ? CLOSE : parts.withDocument;
  const headLength = Buffer.byteLength(head);
  const out = Buffer.allocUnsafe(headLength + tail.length);
  out.write(head, 0, 'utf8');
  tail.copy(out, headLength);
  return out;
}

/** Sends a 200 JSON answer on the raw response (its request hijacked from fastify); nothing when the client is gone. */
export function writeJsonAnswer(res: ServerResponse, body: Buffer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, ['content-type', 'application/json; charset=utf-8', 'content-length', String(body.length)]);
  res.end(body);
}

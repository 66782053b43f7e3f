// The long-poll answer's text and UTF-8 length: the same JSON as the heartbeat route's immediate answer, the
// document only for an agent holding another etag, shared per-document parts not leaking between devices.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerText, longPollAnswer } from '../../../reconciler/http/long-poll-answer.js';
import type { DesiredEntry } from '../../../reconciler/desired/desired-state.js';

const doc = { heartbeatMs: 60_000, packages: [{ name: 'wéb', version: '1.0.0' }], commands: [] } as unknown as DesiredEntry['document'];
const entry = (revision: string | null): DesiredEntry => ({ etag: 'e'.repeat(32), document: doc, revision, json: JSON.stringify(doc) });

const cases: { name: string; revision: string | null; held: string | null; withDocument: boolean }[] = [
  { name: 'a new agent (no etag) gets the document', revision: 'abc123', held: null, withDocument: true },
  { name: 'an agent with another etag gets the document', revision: 'abc123', held: 'f'.repeat(32), withDocument: true },
  { name: 'an agent with the current etag gets no document', revision: 'abc123', held: 'e'.repeat(32), withDocument: false },
  { name: 'no revision yet is null', revision: null, held: null, withDocument: true },
];

for (const c of cases) {
  test(`long-poll answer: ${c.name}`, () => {
    const e = entry(c.revision);
    for (const id of ['dev-1', 'device-with-a-much-longer-name.example']) {
      const answer = longPollAnswer(id, e, c.held, 61_234);
      assert.equal(answer.bytes, Buffer.byteLength(answer.text), 'the content-length is the UTF-8 length');
      assert.equal(answerText(id, e, c.held, 61_234), answer.text, 'the immediate answer is the same text');
      const got = JSON.parse(answer.text);
      const want: Record<string, unknown> = { protocol: 1, deviceId: id, etag: e.etag, revision: c.revision, heartbeatMs: 61_234 };
      if (c.withDocument) want.desired = doc;
      assert.deepEqual(got, want);
    }
  });
}

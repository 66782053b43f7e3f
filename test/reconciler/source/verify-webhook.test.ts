import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { pushedBranch, verifyWebhook } from '../../../reconciler/source/verify-webhook.js';

const SECRET = 'shared-secret';
const body = Buffer.from(JSON.stringify({ ref: 'refs/heads/main' }));
const hmac = (b: Buffer, s = SECRET) => createHmac('sha256', s).update(b).digest('hex');

const cases: [string, Record<string, string>, string | false][] = [
  ['github', { 'x-hub-signature-256': `sha256=${hmac(body)}`, 'x-github-event': 'push' }, 'github'],
  ['github, wrong secret', { 'x-hub-signature-256': `sha256=${hmac(body, 'other')}` }, false],
  ['github, signature of other bytes', { 'x-hub-signature-256': `sha256=${hmac(Buffer.from('{}'))}` }, false],
  ['gitea', { 'x-gitea-signature': hmac(body), 'x-gitea-event': 'push' }, 'gitea'],
  ['gitea wins over its github-style header', { 'x-gitea-signature': 'bad', 'x-hub-signature-256': `sha256=${hmac(body)}` }, false],
  ['gogs', { 'x-gogs-signature': hmac(body) }, 'gitea'],
  ['gitlab', { 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' }, 'gitlab'],
  ['gitlab, wrong token', { 'x-gitlab-token': 'shared-secreT' }, false],
  ['no signature', {}, false],
];
for (const [name, headers, want] of cases) {
  test(`verifyWebhook: ${name}`, () => {
    const v = verifyWebhook(headers, body, SECRET);
    if (want === false) assert.equal(v.ok, false);
    else {
      assert.ok(v.ok);
      assert.equal(v.provider, want);
    }
  });
}

test('pushedBranch reads JSON and form-encoded payloads', () => {
  assert.equal(pushedBranch(body), 'main');
  assert.equal(pushedBranch(Buffer.from('payload=' + encodeURIComponent('{"ref":"refs/heads/prod"}'))), 'prod');
  assert.equal(pushedBranch(Buffer.from('{"ref":"refs/tags/v1"}')), null);
  assert.equal(pushedBranch(Buffer.from('garbage')), null);
});

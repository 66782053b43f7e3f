// The notifier: a command gets the code in its environment; a failing or hanging command is an
// error (bounded by the timeout, whole process group killed); a webhook that answers non-2xx too.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createNotifier, type CodeMessage } from '../../jump/notifier.js';

const msg: CodeMessage = { user: 'dave', channel: 'email', to: 'dave@example.com', code: '123456', expiresAt: '2030-01-01T00:00:00.000Z', text: 'Your code is 123456' };

describe('notifier', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-notify-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs a command with the message in its environment', async () => {
    const out = join(dir, 'sent');
    await createNotifier(`printf '%s %s %s' "$DROVER_TO" "$DROVER_CODE" "$DROVER_MESSAGE" > ${out}`)!(msg);
    const [to, code, json] = readFileSync(out, 'utf8').split(' ', 3);
    assert.equal(to, 'dave@example.com');
    assert.equal(code, '123456');
    assert.ok(json?.startsWith('{'));
  });

  const failures: [string, string, RegExp][] = [
    ['a failing command', 'echo no mail server >&2; exit 3', /exited 3: no mail server/],
    ['a hanging command', 'sleep 30', /timed out/],
    ['a command leaving a background process', 'sleep 30 & echo queued', /timed out/],
  ];
  for (const [name, command, re] of failures) {
    it(`reports ${name}`, async () => {
      await assert.rejects(createNotifier(command, { timeoutMs: 500 })!(msg), re);
    });
  }

  it('posts to a webhook and fails on a non-2xx answer', async () => {
    const bodies: string[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let b = '';
      req.on('data', (d: Buffer) => (b += d.toString()));
      req.on('end', () => {
        bodies.push(b);
        res.statusCode = status;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
      await createNotifier(url)!(msg);
      assert.deepEqual(JSON.parse(bodies[0]!), msg);
      status = 502;
      await assert.rejects(createNotifier(url)!(msg), /HTTP 502/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it('no target, no notifier', () => assert.equal(createNotifier(undefined), undefined));
});

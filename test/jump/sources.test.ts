// Where users come from and how codes travel: the fleet repository as a git URL (cloned and
// fetched again, a new user appears after a push), the company user service hook, and delivered
// codes through a webhook notifier.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { hashPassword } from '../../lib/password.js';
import { silentLogger } from '../../lib/log.js';
import { enrollOtp } from '../../jump/otp-secrets.js';
import { startJump } from '../../jump/start-jump.js';
import { currentTotp } from '../../jump/totp.js';
import { startGitServer, type GitServer, type TestRepo } from '../helpers/git-server.js';
import { runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

describe('jump user sources and notifiers', () => {
  let t: TestJump;
  let git: GitServer;
  let repo: TestRepo;
  let hooks: Server;
  let hookUrl: string;
  const hookCalls: { user: string; password: string }[] = [];
  const codeFile = (): string => join(t.dir, 'webhook-code');

  before(async () => {
    // starts with a directory fleet; switched to the git URL below
    t = await startTestJump({ users: [{ name: 'alice', password: 'alice-pass-1' }] });
    git = await startGitServer();
    repo = git.createRepo('fleet', t.config.repo);
    hooks = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const doc = JSON.parse(body) as Record<string, string>;
        if (req.url === '/users/check') {
          hookCalls.push({ user: doc.user!, password: doc.password! });
          res.setHeader('content-type', 'application/json');
          return res.end(JSON.stringify({ ok: doc.user === 'hank' && doc.password === 'company-secret' }));
        }
        if (req.url === '/notify') {
          writeFileSync(codeFile(), doc.code!);
          return res.end('sent');
        }
        res.statusCode = 404;
        res.end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    await t.jump.close();
    enrollOtp(t.dataDir, 'hank');
    t.jump = await startJump(
      { ...t.config, repo: repo.url, repoIntervalMs: 300, userHook: `${hookUrl}/users/check`, notify: `${hookUrl}/notify`, listen: { host: '127.0.0.1', port: 0 } },
      { log: silentLogger() },
    );
    writeSshFiles(t);
  });
  after(async () => {
    await t?.close();
    await git?.close();
    await new Promise((r) => hooks?.close(r));
  });

  it('reads users from the git repository, and sees a new user after a push', async () => {
    const ok = await runSsh(t, ['-l', 'alice', '-T', 'jump'], { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
    const frank = { name: 'frank', password: await hashPassword('frank-pass-1', { N: 1024, r: 8, p: 1 }), otp: { mode: 'delivered', channel: 'sms', to: '+8613800001234' } };
    assert.equal(t.jump.status().revision, repo.head());
    const head = repo.commit({ 'users/frank.yaml': stringify(frank) }, 'add frank');
    await until('jump fetched the new commit', async () => t.jump.status().revision === head);
    const r = await runSsh(t, ['-l', 'frank', '-T', 'jump'], { password: 'frank-pass-1', codeCmd: `cat ${codeFile()}` }, { input: 'q\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.prompts[1]!, /Code sent by sms to \*\*\*1234 \(valid 5 min\)/);
    // a broken commit: jump keeps the last good users and says what is wrong
    repo.commit({ 'users/broken.yaml': 'name: [oops\n' }, 'broken');
    await until('jump saw the broken commit', async () => /fleet repository invalid/.test(String(t.jump.status().lastError)));
    assert.equal(t.jump.status().revision, head);
    assert.match(String(t.jump.status().lastError), /users\/broken\.yaml:\d+:\d+/);
    const login = await waitForAudit(t, (e) => e.event === 'login' && e.user === 'frank');
    assert.equal(login?.otp, 'delivered');
  });

  it('asks the company user service for users without a password hash in the repository', async () => {
    const wrong = await runSsh(t, ['-l', 'hank', '-T', 'jump'], { password: 'not-it', code: '000000' });
    assert.equal(wrong.code, 255);
    const { readOtpSecret } = await import('../../jump/otp-secrets.js');
    const ok = await runSsh(t, ['-l', 'hank', '-T', 'jump'], { password: 'company-secret', code: await currentTotp(readOtpSecret(t.dataDir, 'hank')!) }, { input: 'q\n' });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /logged in as hank/);
    assert.deepEqual(hookCalls.filter((c) => c.user === 'hank').map((c) => c.password), ['not-it', 'company-secret']);
    // users with a hash in the repository never go to the hook
    assert.equal(hookCalls.some((c) => c.user === 'alice'), false);
  });
});

// Secrets from files: meta, a real agent and the CLI take every token as `--…-file`, read them
// again on SIGHUP, and no secret shows in `ps`, the logs, /v1/status or error messages.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startAgentProcess, type AgentProcess } from '../../agent/agent-process.js';
import { loadMetaConfig } from '../../../reconciler/config.js';
import { copyExampleFleet, getJson, startMetaProcess, type MetaHandle } from '../../helpers/meta-process.js';
import { assertNoSecret as noSecret, writeSecretFile } from '../../helpers/secret-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-secrets-'));
const fleet = copyExampleFleet();
const secrets = {
  agent: 'agent-secret-from-file-7f3a9c2e1b',
  admin: 'admin-secret-from-file-4d8e6a0b5c',
  admin2: 'admin-secret-rotated-9b1c7e3f2a',
  webhook: 'webhook-secret-from-file-2c6d',
  webhook2: 'webhook-secret-rotated-5a9e0f',
  git: 'git-token-from-file-8e4f0a1d',
};
const file = (name: string, value: string): string => writeSecretFile(tmp, name, value);
let meta: MetaHandle & { child: import('node:child_process').ChildProcess; output(): string };
let agent: AgentProcess;

before(async () => {
  meta = await startMetaProcess({
    repo: fleet,
    noTokenFlags: true,
    timeoutMs: 120_000,
    args: [
      '--agent-token-file', file('agent-token', secrets.agent),
      '--admin-token-file', file('admin-token', secrets.admin),
      '--webhook-secret-file', file('webhook-secret', secrets.webhook),
      '--git-token-file', file('git-token', secrets.git),
    ],
  });
  agent = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, 'agent'), id: 'sec-1', args: ['--token-file', file('token', secrets.agent)] });
});

after(async () => {
  await agent?.close();
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
  rmSync(fleet, { recursive: true, force: true });
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const assertNoSecret = (where: string, text: string): void => noSecret(where, text, secrets);

describe('secrets from files', () => {
  it('meta and a real agent run on secrets read from files', async () => {
    await until('the agent reported', async () => (await getJson(meta.url, '/v1/devices/sec-1', secrets.admin)).status === 200);
    const hook = await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'x-gitlab-token': secrets.webhook, 'x-gitlab-event': 'Push Hook', 'content-type': 'application/json' }, body: '{"ref":"refs/heads/main"}' });
    assert.notEqual(hook.status, 401);
  });

  it('no secret in ps, the logs, /v1/status or an error answer', async () => {
    assertNoSecret('ps', execFileSync('ps', ['-ww', '-eo', 'args'], { encoding: 'utf8' }));
    const status = await getJson(meta.url, '/v1/status', secrets.admin);
    assert.equal(status.status, 200);
    assertNoSecret('/v1/status', JSON.stringify(status.body));
    const wrong = await getJson(meta.url, '/v1/status', `${secrets.admin}x`);
    assert.equal(wrong.status, 401);
    assertNoSecret('a 401 answer', JSON.stringify(wrong.body));
    assert.ok(!JSON.stringify(wrong.body).includes(`${secrets.admin}x`));
    assertNoSecret('meta log', meta.output());
    assertNoSecret('agent log', agent.output());
  });

  it('SIGHUP reads the files again: a rotated admin token and webhook secret replace the old ones', async () => {
    const hook = async (secret: string) => (await fetch(`${meta.url}/v1/hooks/git`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gitlab-token': secret, 'x-gitlab-event': 'Push Hook' }, body: JSON.stringify({ ref: 'refs/heads/main' }) })).status;
    assert.equal(await hook(secrets.webhook), 202);
    file('admin-token', secrets.admin2);
    file('webhook-secret', secrets.webhook2);
    meta.child.kill('SIGHUP');
    await until('the new admin token accepted', async () => (await getJson(meta.url, '/v1/status', secrets.admin2)).status === 200);
    assert.equal((await getJson(meta.url, '/v1/status', secrets.admin)).status, 401);
    assert.equal(await hook(secrets.webhook2), 202, 'the rotated webhook secret');
    assert.equal(await hook(secrets.webhook), 401, 'the old webhook secret');
    agent.child.kill('SIGHUP');
    await until('the agent read its token again', async () => /token read again/.test(agent.output()));
    assertNoSecret('meta log', meta.output());
    assertNoSecret('agent log', agent.output());
  });

  it('a bad secret file is an error that names the file, never its content', () => {
    const short = file('short', 'tooshort-x1');
    assert.throws(() => loadMetaConfig(['--repo', fleet, '--agent-token', secrets.agent, '--admin-token-file', short], {}), (err: Error) => {
      assert.match(err.message, /--admin-token-file .*short: must be at least 16 characters/);
      assert.ok(!err.message.includes('tooshort-x1'));
      return true;
    });
    assert.throws(() => loadMetaConfig(['--repo', fleet, '--agent-token', secrets.agent, '--admin-token', secrets.admin, '--admin-token-file', short], {}), /both given/);
    assert.throws(() => loadMetaConfig(['--repo', fleet, '--agent-token', secrets.agent, '--admin-token-file', join(tmp, 'missing')], {}), /ENOENT/);
  });
});

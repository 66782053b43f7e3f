// `drover agent --token-file` rotation on real parts: a real agent heartbeats to a real meta
// with token A read from a file; meta is switched to accept only token B (its --agent-token-file
// rewritten, SIGHUP), which refuses the agent; the agent's file is rewritten to B and the agent
// gets SIGHUP: its next heartbeats are accepted (a fresh lastSeen, InSync), and neither token
// ever shows in `ps` or the logs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { getJson, postHeartbeat, heartbeatBody, startMetaProcess, type MetaHandle } from '../helpers/meta-process.js';
import { startAgentProcess, writeFleet, type AgentProcess } from './agent-process.js';
import { assertNoSecret as noSecret, writeSecretFile } from '../helpers/secret-file.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-token-rotation-'));
const fleet = join(tmp, 'fleet');
const secrets = {
  a: 'agent-token-a-before-rotation-3c9f1e',
  b: 'agent-token-b-after-rotation-8d2a4b',
  admin: 'admin-token-rotation-test-5e7c0f9a',
};
const file = (name: string, value: string): string => writeSecretFile(tmp, name, value);
let meta: MetaHandle & { child: import('node:child_process').ChildProcess; output(): string };
let agent: AgentProcess;

before(async () => {
  writeFleet(fleet, {});
  meta = await startMetaProcess({
    repo: fleet,
    noTokenFlags: true,
    timeoutMs: 120_000,
    args: ['--agent-token-file', file('meta-agent-token', secrets.a), '--admin-token-file', file('admin-token', secrets.admin)],
  });
  // --max-wait 2s: a heartbeat every ~2 s (the long poll ends early), so a refused one comes soon.
  agent = startAgentProcess({ metaUrl: meta.url, token: '', root: join(tmp, 'agent'), id: 'rot-1', args: ['--token-file', file('agent-token', secrets.a), '--max-wait', '2s'] });
});

after(async () => {
  await agent?.close();
  await meta?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`timed out waiting for ${what}\n--- agent:\n${agent.output().slice(-3000)}\n--- meta:\n${meta.output().slice(-3000)}`);
}

const device = async () => (await getJson(meta.url, '/v1/devices/rot-1', secrets.admin)).body as { condition: string; lastSeen: string | null };

const assertNoSecret = (where: string, text: string): void => noSecret(where, text, secrets);

describe('agent --token-file rotation', () => {
  it('the agent heartbeats with token A and is InSync', async () => {
    await until('rot-1 InSync', async () => (await device()).condition === 'InSync');
  });

  it('meta switched to token B refuses the agent still holding A', async () => {
    file('meta-agent-token', secrets.b);
    meta.child.kill('SIGHUP');
    await until('meta read its secrets again', () => /secrets read again/.test(meta.output()));
    assert.equal((await postHeartbeat(meta.url, secrets.a, heartbeatBody('probe'))).status, 401, 'token A is refused');
    const refusedFrom = agent.output().length;
    await until('the agent refused with A', () => /meta answered 401/.test(agent.output().slice(refusedFrom)));
  });

  it('after its file is rewritten to B and SIGHUP, the agent heartbeats again: a fresh lastSeen, InSync', async () => {
    const before = (await device()).lastSeen;
    assert.ok(before);
    file('agent-token', secrets.b);
    const from = agent.output().length;
    agent.child.kill('SIGHUP');
    await until('the agent read its token again', () => /token read again/.test(agent.output().slice(from)));
    await until('meta reachable again for the agent', () => /meta reachable again/.test(agent.output().slice(from)));
    await until('a fresh lastSeen', async () => {
      const d = await device();
      return d.lastSeen !== null && Date.parse(d.lastSeen) > Date.parse(before!) && d.condition === 'InSync';
    });
    // And it stays accepted: more heartbeats after the first.
    const seen = (await device()).lastSeen!;
    await until('another heartbeat accepted', async () => Date.parse((await device()).lastSeen ?? '') > Date.parse(seen));
    assert.equal((await device()).condition, 'InSync');
  });

  it('neither token shows in ps or the logs', () => {
    assertNoSecret('ps', execFileSync('ps', ['-ww', '-eo', 'args'], { encoding: 'utf8' }));
    assertNoSecret('meta log', meta.output());
    assertNoSecret('agent log', agent.output());
  });
});

// jump with a real meta (in process, on loopback): device addresses come from meta's inventory
// (the agent-reported facts.addresses and sshPort), labels from the fleet repository; jump's
// status shows on meta's GET /v1/jump through meta's own app, and POST /v1/jump/restart drains it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentTotp } from '../../jump/totp.js';
import { startDeviceSshd, type DeviceSshd } from '../helpers/device-sshd.js';
import { startMetaInProcess, type MetaHandle } from '../helpers/meta-process.js';
import { runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';

/** fetch, retried (bounded) while a busy meta answers 503 from its load guard. */
async function fetchMeta(url: string, init?: RequestInit): Promise<Response> {
  for (let i = 0; ; i++) {
    const res = await fetch(url, init);
    if (res.status !== 503 || i >= 50) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('jump with a real meta', () => {
  let meta: MetaHandle;
  let t: TestJump;
  let device: DeviceSshd;
  let restarted = false;

  before(async () => {
    t = await startTestJump({
      users: [{ name: 'alice', password: 'alice-pass-1', access: [{ select: { labels: { role: 'web' } }, ports: [22] }] }],
      config: { name: 'jump-meta', reportIntervalMs: 200 },
      onRestarted: () => (restarted = true),
    });
    // the same fleet repository for meta, with the device declared (labels, no address)
    mkdirSync(join(t.config.repo!, 'devices'), { recursive: true });
    writeFileSync(join(t.config.repo!, 'devices', 'web-7.yaml'), 'id: web-7\nlabels: { role: web }\n');
    meta = await startMetaInProcess({ repo: t.config.repo! });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(t.dir, 'id_ed25519')]);
    device = await startDeviceSshd({ user: 'alice', authorizedKeys: [readFileSync(join(t.dir, 'id_ed25519.pub'), 'utf8').trim()] });
    // the agent on web-7 reports where its SSH server is
    const hb = await fetchMeta(`${meta.url}/v1/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${meta.agentToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ protocol: 1, device: { id: 'web-7', hostname: 'web-7', facts: { addresses: ['127.0.0.1'], sshPort: device.port } } }),
    });
    assert.equal(hb.status, 200, await hb.text());
    await t.jump.close();
    t.config.metaUrl = meta.url;
    t.config.metaToken = meta.adminToken;
    t.config.devicesFile = undefined;
    await t.restart();
    writeSshFiles(
      t,
      `Host web-*
  User alice
  IdentityFile ${join(t.dir, 'id_ed25519')}
  IdentitiesOnly yes
  PreferredAuthentications publickey
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
`,
    );
  });
  after(async () => {
    await t?.close();
    await meta?.stop();
    await device?.close();
  });

  it('reaches a device at the address its agent reported to meta', async () => {
    const r = await runSsh(t, ['-J', 'alice@jump', 'web-7', 'echo', 'inventory-$((40+2))'], { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /inventory-42/);
    const tunnel = await waitForAudit(t, (e) => e.event === 'tunnel' && e.device === 'web-7');
    assert.equal(tunnel?.address, `127.0.0.1:${device.port}`);
    // the menu lists meta's devices the user may reach (labels from the repository)
    const menu = await runSsh(t, ['-T', '-l', 'alice', 'jump'], { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!, Date.now() + 30_000) }, { input: 'q\n' });
    assert.equal(menu.code, 0, menu.stderr);
    assert.match(menu.stdout, /1\) web-7 +role=web/);
  });

  it("shows on meta's GET /v1/jump and drains on POST /v1/jump/restart", async () => {
    const auth = { authorization: `Bearer ${meta.adminToken}` };
    let shown: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !shown; i++) {
      const res = await fetch(`${meta.url}/v1/jump`, { headers: auth });
      const body = (res.ok ? await res.json() : { jumps: [] }) as { jumps: Record<string, unknown>[] };
      shown = body.jumps.find((j) => j.name === 'jump-meta' && j.up === true);
      if (!shown) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(shown, 'jump reported to meta');
    assert.match(String(shown.revision), /^dir-[0-9a-f]{40}$/, 'a directory revision is its content hash');
    const res = await fetchMeta(`${meta.url}/v1/jump/restart`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 202, await res.clone().text());
    for (let i = 0; i < 100 && !restarted; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(restarted, true);
    assert.ok(await waitForAudit(t, (e) => e.event === 'drain'));
  });
});

// Revocation that bites, with the real OpenSSH client and a real sshd device: a user disabled in
// the fleet repository loses the open tunnel and the ControlMaster connection within seconds
// (audited `revoked`); narrowed access closes a tunnel to a device no longer allowed; through a
// multiplexed master that stays open, no new tunnel is opened to a device the user lost.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { currentTotp } from '../../jump/totp.js';
import { startOpensshSshd, type OpensshSshd } from '../helpers/openssh-sshd.js';
import { runSsh, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';
import { background, deviceHosts, spawnOk, waitFor, within } from './ssh-background.js';

function editUser(t: TestJump, name: string, change: (doc: Record<string, unknown>) => void): void {
  const file = join(t.config.repo!, 'users', `${name}.yaml`);
  const doc = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  change(doc);
  writeFileSync(file, stringify(doc));
}

describe('jump revocation (real ssh, real sshd device)', () => {
  let t: TestJump;
  let device: OpensshSshd;
  const web = [{ select: { labels: { role: 'web' } }, ports: [22] }];
  before(async () => {
    t = await startTestJump({
      users: ['alice', 'bob', 'carol', 'dan'].map((name) => ({ name, password: `${name}-pass-1`, access: web })),
      config: { repoIntervalMs: 300, userLockThreshold: 100, addrLockThreshold: 1000 },
    });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(t.dir, 'id_ed25519')]);
    device = await startOpensshSshd({ authorizedKeys: [readFileSync(join(t.dir, 'id_ed25519.pub'), 'utf8').trim()] });
    writeFileSync(t.config.devicesFile!, stringify({ 'device-17': { address: `127.0.0.1:${device.port}`, labels: { role: 'web' } }, 'device-18': { address: `127.0.0.1:${device.port}`, labels: { role: 'web' } }, 'Device-Up': { address: `127.0.0.1:${device.port}`, labels: { role: 'web' } } }));
    await t.restart();
    writeSshFiles(t, deviceHosts(t, device.user));
  });
  after(async () => {
    await t?.close();
    await device?.close();
  });

  it('closes the tunnel and the ControlMaster connection of a user disabled in the repository', async () => {
    const ctl = join(t.dir, 'alice.ctl');
    const answers = { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) };
    const master = background(t, ['-M', '-S', ctl, '-o', 'ControlPersist=no', '-N', '-l', 'alice', 'jump'], answers);
    await waitFor('master up', () => spawnOk(['-F', t.sshConfig, '-S', ctl, '-O', 'check', 'jump']));
    const viaMaster = ['-o', `ProxyCommand=ssh -F ${t.sshConfig} -S ${ctl} -W %h:%p jump`];
    const first = await runSsh(t, [...viaMaster, 'device-17', 'echo', 'through-$((40+2))'], answers);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /through-42/);
    const running = background(t, [...viaMaster, 'device-17', 'sleep', '300'], answers);
    await waitFor('tunnel running', () => t.jump.status().sessions.some((s) => s.user === 'alice' && s.kind === 'tunnel'));

    editUser(t, 'alice', (d) => (d.disabled = true));
    const revoked = await waitForAudit(t, (e) => e.event === 'revoked' && e.user === 'alice', 20_000);
    assert.ok(revoked, 'revoked in the audit log');
    assert.equal(revoked.reason, 'user removed or disabled');
    assert.notEqual(await within(running.exited, 20_000), 'timeout', 'the running tunnel ends');
    assert.notEqual(await within(master.exited, 20_000), 'timeout', 'the master connection ends');
    const again = await runSsh(t, [...viaMaster, 'device-17', 'echo', 'should-not-run'], answers);
    assert.notEqual(again.code, 0);
    assert.doesNotMatch(again.stdout, /should-not-run/);
  });

  it('closes a tunnel to a device the user may no longer reach (narrowed access)', async () => {
    const answers = { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!) };
    const running = background(t, ['-J', 'bob@jump', 'device-17', 'sleep', '300'], answers);
    await waitFor('tunnel running', () => t.jump.status().sessions.some((s) => s.user === 'bob' && s.kind === 'tunnel'));
    editUser(t, 'bob', (d) => (d.access = [{ select: { ids: ['device-18'] }, ports: [22] }]));
    const revoked = await waitForAudit(t, (e) => e.event === 'revoked' && e.user === 'bob', 20_000);
    assert.equal(revoked?.reason, 'device-17:22 no longer allowed');
    assert.notEqual(await within(running.exited, 20_000), 'timeout', 'the tunnel ends');
  });

  it('refuses a new tunnel through an open multiplexed master once the device is no longer allowed', async () => {
    const ctl = join(t.dir, 'carol.ctl');
    const answers = { password: 'carol-pass-1', code: await currentTotp(t.secrets.carol!) };
    const master = background(t, ['-M', '-S', ctl, '-o', 'ControlPersist=no', '-N', '-l', 'carol', 'jump'], answers);
    try {
      await waitFor('master up', () => spawnOk(['-F', t.sshConfig, '-S', ctl, '-O', 'check', 'jump']));
      const viaMaster = ['-o', `ProxyCommand=ssh -F ${t.sshConfig} -S ${ctl} -W %h:%p jump`];
      const ok = await runSsh(t, [...viaMaster, 'device-17', 'echo', 'allowed'], answers);
      assert.equal(ok.code, 0, ok.stderr);
      const revision = t.jump.status().revision;
      editUser(t, 'carol', (d) => (d.access = [{ select: { ids: ['device-18'] }, ports: [22] }]));
      // Wait on the jump's own revision, not by probing device-17 through the master: a probe
      // tunnel open at the moment the rules change would (rightly) get the whole master closed.
      await waitFor('new revision read', () => t.jump.status().revision !== revision, 60_000);
      const refused = await runSsh(t, [...viaMaster, 'device-17', 'echo', 'should-not-run'], answers);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /administratively prohibited|open refused by peer/);
      assert.ok(await waitForAudit(t, (e) => e.event === 'tunnel-refused' && e.user === 'carol' && e.device === 'device-17'));
      const other = await runSsh(t, [...viaMaster, 'device-18', 'echo', 'still-allowed'], answers);
      assert.equal(other.code, 0, other.stderr);
      assert.match(other.stdout, /still-allowed/);
    } finally {
      master.child.kill();
      await master.exited;
    }
  });

  it('reaches a device whose id has upper-case letters (OpenSSH asks for it lower-cased)', async () => {
    const r = await runSsh(t, ['-J', 'dan@jump', 'Device-Up', 'echo', 'upper-$((1+1))'], { password: 'dan-pass-1', code: await currentTotp(t.secrets.dan!) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /upper-2/);
    const tunnel = await waitForAudit(t, (e) => e.event === 'tunnel' && e.user === 'dan');
    assert.equal(tunnel?.device, 'Device-Up');
  });
});

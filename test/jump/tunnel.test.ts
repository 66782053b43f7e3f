// `ssh -J` through jump with the real OpenSSH client: an allowed device runs a command, a
// forbidden or unknown one is refused with "administratively prohibited"; -R is refused;
// the audit log records the tunnel with its byte counts.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { currentTotp } from '../../jump/totp.js';
import { startDeviceSshd, type DeviceSshd } from '../helpers/device-sshd.js';
import { runSsh, sshEnv, startTestJump, waitForAudit, writeSshFiles, type TestJump } from './harness.js';

describe('jump tunnels (ssh -J)', () => {
  let t: TestJump;
  let device: DeviceSshd;
  let agent: ChildProcess | undefined;
  // A TOTP step is accepted once per user (and no earlier step after it): logins in this file use
  // the current step, then the next one (accepted within the one-step tolerance), or another user.

  before(async () => {
    t = await startTestJump({
      users: ['alice', 'bob', 'carol', 'dan'].map((name) => ({ name, password: `${name}-pass-1`, deviceUser: 'alice', access: [{ select: { labels: { role: 'web' } }, ports: [22] }] })),
      config: { userLockThreshold: 100, addrLockThreshold: 1000 },
    });
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(t.dir, 'id_ed25519')]);
    device = await startDeviceSshd({ user: 'alice', authorizedKeys: [readFileSync(join(t.dir, 'id_ed25519.pub'), 'utf8').trim()] });
    await t.jump.close();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(t.config.devicesFile!, `device-17: { address: "127.0.0.1:${device.port}", labels: { role: web } }\ndevice-99: { address: "127.0.0.1:${device.port}", labels: { role: db } }\n`);
    await t.restart();
    writeSshFiles(
      t,
      `Host device-*
  User alice
  IdentityFile ${join(t.dir, 'id_ed25519')}
  IdentitiesOnly yes
  PreferredAuthentications publickey
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  ConnectTimeout 10
  LogLevel ERROR
`,
    );
  });
  after(async () => {
    agent?.kill();
    await t?.close();
    await device?.close();
  });

  it('runs a command on an allowed device through the jump', async () => {
    const c = await currentTotp(t.secrets.alice!);
    const r = await runSsh(t, ['-J', 'alice@jump', 'device-17', 'echo', 'hello-from-$(hostname)-$((6*7))'], { password: 'alice-pass-1', code: c });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /hello-from-.*-42/);
    assert.ok(device.commands.some((cmd) => cmd.includes('hello-from')));
    const tunnel = await waitForAudit(t, (e) => e.event === 'tunnel' && e.device === 'device-17');
    assert.ok(tunnel, 'tunnel in the audit log');
    assert.equal(tunnel.user, 'alice');
    assert.equal(tunnel.port, 22);
    assert.ok((tunnel.bytesIn as number) > 0 && (tunnel.bytesOut as number) > 0);
    assert.equal(typeof tunnel.durationMs, 'number');
  });

  it('refuses a device the user may not reach as administratively prohibited', async () => {
    const c = await currentTotp(t.secrets.alice!, Date.now() + 30_000);
    const r = await runSsh(t, ['-J', 'alice@jump', 'device-99', 'echo', 'should-not-run'], { password: 'alice-pass-1', code: c });
    assert.equal(r.code, 255);
    assert.match(r.stderr, /administratively prohibited/);
    assert.doesNotMatch(r.stdout, /should-not-run/);
    assert.ok(await waitForAudit(t, (e) => e.event === 'tunnel-refused' && e.device === 'device-99' && e.reason === 'not allowed for this user'));
  });

  it('refuses remote forwarding (-R) and unknown devices', async () => {
    const c = await currentTotp(t.secrets.bob!);
    const r = await runSsh(t, ['-l', 'bob', '-T', '-o', 'ExitOnForwardFailure=yes', '-R', '127.0.0.1:0:127.0.0.1:22', 'jump'], { password: 'bob-pass-1', code: c }, { input: 'q\n' });
    assert.equal(r.code, 255, r.stdout);
    assert.match(r.stderr, /remote port forwarding failed|forwarding failed/i);
    assert.ok(await waitForAudit(t, (e) => e.event === 'forward-refused' && e.request === 'tcpip-forward'));
    const unknown = await runSsh(t, ['-J', 'bob@jump', 'device-404', 'true'], { password: 'bob-pass-1', code: await currentTotp(t.secrets.bob!, Date.now() + 30_000) });
    assert.equal(unknown.code, 255);
    assert.match(unknown.stderr, /administratively prohibited/);
    assert.ok(await waitForAudit(t, (e) => e.event === 'tunnel-refused' && e.device === 'device-404' && e.reason === 'unknown device'));
  });

  it('runs a command on a device from the jump itself with the forwarded agent (ssh -A alice@jump DEVICE CMD)', async () => {
    const sock = join(t.dir, 'agent.sock');
    agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    execFileSync('ssh-add', ['-q', join(t.dir, 'id_ed25519')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const r = await runSsh(t, ['-A', '-l', 'carol', 'jump', 'device-17', 'echo', 'via-agent-$((2+3))'], { password: 'carol-pass-1', code: await currentTotp(t.secrets.carol!) }, { env: { SSH_AUTH_SOCK: sock } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /via-agent-5/);
    const s = await waitForAudit(t, (e) => e.event === 'session' && e.kind === 'exec' && e.user === 'carol');
    assert.equal(s?.device, 'device-17');
    // the same path refuses a device outside the user's rules
    const no = await runSsh(t, ['-A', '-l', 'carol', 'jump', 'device-99', 'true'], { password: 'carol-pass-1', code: await currentTotp(t.secrets.carol!, Date.now() + 30_000) }, { env: { SSH_AUTH_SOCK: sock } });
    assert.notEqual(no.code, 0);
    assert.match(no.stderr, /administratively prohibited/);
  });

  it('refuses unix socket forwarding (streamlocal)', async () => {
    const local = join(t.dir, 'local.sock');
    const env = sshEnv(t, { password: 'dan-pass-1', code: await currentTotp(t.secrets.dan!) });
    const child = spawn('ssh', ['-F', t.sshConfig, '-l', 'dan', '-N', '-L', `${local}:/run/some-daemon.sock`, 'jump'], { env, stdio: 'ignore' });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      for (let i = 0; i < 200 && !existsSync(local); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(existsSync(local), 'ssh listens on the local socket');
      await new Promise<void>((resolve) => {
        const c = connect(local);
        c.on('error', () => resolve());
        c.on('close', () => resolve());
      });
      const refused = await waitForAudit(t, (e) => e.event === 'forward-refused' && e.user === 'dan');
      assert.equal(refused?.request, 'streamlocal /run/some-daemon.sock');
    } finally {
      clearTimeout(killer);
      child.kill();
    }
  });
});

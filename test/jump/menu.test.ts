// The interactive menu under a real pty (node-pty running the OpenSSH client): pick a device,
// log in to it with its password through the session, check the remote terminal size before and
// after a resize, come back to the menu, quit; then the audit log and the asciicast recording.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { spawn, type IPty } from 'node-pty';
import { currentTotp } from '../../jump/totp.js';
import { startDeviceSshd, type DeviceSshd } from '../helpers/device-sshd.js';
import { sshEnv, startTestJump, waitForAudit, type TestJump } from './harness.js';

class Screen {
  text = '';
  constructor(readonly pty: IPty) {
    pty.onData((d) => (this.text += d));
  }
  /** Waits (bounded) until the output after `from` matches. */
  async waitFor(re: RegExp, from = 0, timeoutMs = 15_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const m = re.exec(this.text.slice(from));
      if (m) return from + m.index + m[0].length;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re} in:\n${this.text.slice(from)}`);
  }
}

describe('jump menu under a pty', () => {
  let t: TestJump;
  let device: DeviceSshd;
  let pty: IPty | undefined;
  before(async () => {
    device = await startDeviceSshd({ user: 'alice', password: 'device-secret' });
    t = await startTestJump({
      users: [
        { name: 'alice', password: 'alice-pass-1', access: [{ select: { labels: { role: 'web' } }, ports: [22] }] },
        { name: 'root-ish', password: 'shell-pass-1', shell: true },
      ],
      devices: { 'web-1': { address: `127.0.0.1:${device.port}`, labels: { role: 'web' } }, 'db-1': { address: `127.0.0.1:${device.port}`, labels: { role: 'db' } } },
    });
  });
  after(async () => {
    pty?.kill();
    await t?.close();
    await device?.close();
  });

  it('lists reachable devices, connects, follows a resize, records the session', async () => {
    const env = sshEnv(t, { password: 'alice-pass-1', code: await currentTotp(t.secrets.alice!) });
    pty = spawn('ssh', ['-F', t.sshConfig, '-t', '-l', 'alice', 'jump'], { name: 'xterm', cols: 100, rows: 30, env: env as Record<string, string> });
    const screen = new Screen(pty);
    const exited = new Promise<number>((resolve) => pty!.onExit(({ exitCode }) => resolve(exitCode)));
    let at = await screen.waitFor(/Number or device name: /);
    const menu = screen.text.slice(0, at);
    assert.match(menu, /1\) web-1 +role=web/);
    assert.doesNotMatch(menu, /db-1/);
    pty.write('1\r');
    at = await screen.waitFor(/alice@web-1's password: /, at);
    pty.write('device-secret\r');
    at = await screen.waitFor(/\$ $/, at);
    pty.write('stty size\r');
    at = await screen.waitFor(/30 100\r\n/, at);
    pty.resize(120, 40);
    // the resize travels ssh -> jump -> device asynchronously: ask again until it arrived (bounded)
    for (let i = 0; ; i++) {
      pty.write('stty size\r');
      const seen = await screen.waitFor(/(40 120|30 100)\r\n/, at);
      const resized = /40 120\r\n$/.test(screen.text.slice(0, seen));
      at = seen;
      if (resized) break;
      assert.ok(i < 20, 'the device never saw the new size');
      await new Promise((r) => setTimeout(r, 100));
    }
    pty.write('echo marker-$((40+2))\r');
    at = await screen.waitFor(/marker-42/, at);
    pty.write('exit\r');
    at = await screen.waitFor(/Number or device name: /, at);
    pty.write('q\r');
    assert.equal(await exited, 0);

    const session = await waitForAudit(t, (e) => e.event === 'session' && e.kind === 'device' && e.device === 'web-1');
    assert.ok(session, 'device session in the audit log');
    assert.equal(session.user, 'alice');
    assert.ok(await waitForAudit(t, (e) => e.event === 'session' && e.kind === 'menu'));
    const lines = readFileSync(String(session.recording), 'utf8').trim().split('\n');
    const header = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(header.version, 2);
    assert.equal(header.user, 'alice');
    assert.equal(header.device, 'web-1');
    assert.equal(header.width, 100);
    assert.equal(header.height, 30);
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
    assert.match(output, /marker-42/);
    assert.match(output, /40 120/);
    assert.ok(events.some((e) => e[1] === 'r' && e[2] === '120x40'));
    assert.doesNotMatch(output, /device-secret/, 'the device password is not recorded');
  });

  it('offers a shell on the jump host to users allowed one', async () => {
    const env = sshEnv(t, { password: 'shell-pass-1', code: await currentTotp(t.secrets['root-ish']!) });
    const p = spawn('ssh', ['-F', t.sshConfig, '-t', '-l', 'root-ish', 'jump'], { name: 'xterm', cols: 90, rows: 25, env: env as Record<string, string> });
    pty = p;
    const screen = new Screen(p);
    const exited = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
    let at = await screen.waitFor(/Number or device name: /);
    assert.match(screen.text, /s\) a shell on this jump host/);
    assert.match(screen.text, /\(none: ask for access/);
    p.write('s\r');
    p.write('echo shell-$((3*5)) $COLUMNS\r');
    at = await screen.waitFor(/shell-15/, at);
    p.write('exit\r');
    at = await screen.waitFor(/Number or device name: /, at);
    p.write('q\r');
    assert.equal(await exited, 0);
    const session = await waitForAudit(t, (e) => e.event === 'session' && e.kind === 'shell' && e.user === 'root-ish');
    assert.ok(session);
    assert.match(readFileSync(String(session.recording), 'utf8'), /shell-15/);
  });
});

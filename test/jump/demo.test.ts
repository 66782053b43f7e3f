// The README demo's jump: the printed ssh lines work as printed (menu, and ssh -J to the demo device).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemoJump, type DemoJump } from '../../jump/demo.js';
import { silentLogger } from '../../lib/log.js';

describe('demo jump', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jump-demo-'));
  let demo: DemoJump;
  before(async () => {
    demo = await startDemoJump({ dataDir: join(dir, 'data'), listen: { host: '127.0.0.1', port: 0 }, log: silentLogger() });
  });
  after(async () => {
    await demo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ssh = async (line: string, input: string, code: string) => {
    const askpass = join(dir, 'askpass.sh');
    writeFileSync(askpass, `#!/bin/sh\ncase "$1" in *[Cc]ode*) echo ${code} ;; *) echo '${demo.password}' ;; esac\n`);
    chmodSync(askpass, 0o755);
    const args = line.trim().split(/\s+/).slice(1);
    // asynchronous: jump runs in this process
    const child = spawn('ssh', ['-o', 'BatchMode=no', ...args], { env: { PATH: process.env.PATH, HOME: dir, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end(input);
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const status = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    clearTimeout(timer);
    return { status, stdout, stderr };
  };

  it('prints lines that reach the menu and the demo device', async () => {
    const menuLine = demo.lines.find((l) => l.includes('menu:'))!.split('menu:')[1]!;
    const deviceLine = demo.lines.find((l) => l.includes('device via ssh -J:'))!.split('ssh -J:')[1]!.split('(')[0]!;
    const menu = await ssh(`${menuLine} -T`, 'q\n', await demo.currentCode());
    assert.equal(menu.status, 0, menu.stderr);
    assert.match(menu.stdout, /demo-device/);
    const { currentTotp } = await import('../../jump/totp.js');
    const viaJ = await ssh(`${deviceLine} echo demo-$((1+1))`, '', await currentTotp(demo.otpSecret, Date.now() + 30_000));
    assert.equal(viaJ.status, 0, viaJ.stderr);
    assert.match(viaJ.stdout, /demo-2/);
  });
});

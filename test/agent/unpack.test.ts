import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { c as tarCreate, Header } from 'tar';
import { unpackTarball } from '../../agent/unpack.js';
import { DroverError } from '../../lib/errors.js';

const root = mkdtempSync(join(tmpdir(), 'drover-unpack-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => {
  const d = join(root, `case-${n++}`);
  mkdirSync(d);
  return d;
};

interface Crafted { path: string; type?: string; body?: Buffer; linkpath?: string; mode?: number }

/** Builds a .tar.gz block by block, so it can hold what well-behaved tools refuse to write. */
function craft(entries: Crafted[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = e.body ?? Buffer.alloc(0);
    const h = new Header({
      path: e.path, type: (e.type ?? 'File') as never, size: body.length, linkpath: e.linkpath,
      mode: e.mode ?? 0o644, uid: 0, gid: 0, mtime: new Date(0), uname: 'root', gname: 'root',
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

function sampleTree(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'lib'));
  mkdirSync(join(dir, 'deep', 'a'.repeat(60), 'b'.repeat(60)), { recursive: true });
  writeFileSync(join(dir, 'control'), '#!/bin/sh\necho started\n');
  chmodSync(join(dir, 'control'), 0o755);
  writeFileSync(join(dir, 'bin', 'app'), randomBytes(5000));
  chmodSync(join(dir, 'bin', 'app'), 0o750);
  writeFileSync(join(dir, 'lib', 'libx.so.1'), 'lib');
  symlinkSync('libx.so.1', join(dir, 'lib', 'libx.so'));
  symlinkSync('../lib/libx.so', join(dir, 'bin', 'libx'));
  linkSync(join(dir, 'lib', 'libx.so.1'), join(dir, 'lib', 'hard'));
  writeFileSync(join(dir, 'deep', 'a'.repeat(60), 'b'.repeat(60), 'long-name.txt'), 'deep');
}

function checkSample(dest: string): void {
  assert.equal(readFileSync(join(dest, 'control'), 'utf8'), '#!/bin/sh\necho started\n');
  assert.equal(statSync(join(dest, 'control')).mode & 0o777, 0o755);
  assert.equal(statSync(join(dest, 'bin', 'app')).mode & 0o777, 0o750);
  assert.equal(readlinkSync(join(dest, 'lib', 'libx.so')), 'libx.so.1');
  assert.equal(readFileSync(join(dest, 'bin', 'libx'), 'utf8'), 'lib');
  assert.equal(statSync(join(dest, 'lib', 'hard')).ino, statSync(join(dest, 'lib', 'libx.so.1')).ino);
  assert.equal(readFileSync(join(dest, 'deep', 'a'.repeat(60), 'b'.repeat(60), 'long-name.txt'), 'utf8'), 'deep');
}

/** The parent of destDir holds nothing but what the test put there. */
function assertNoLeftovers(parent: string, allowed: string[]): void {
  assert.deepEqual(readdirSync(parent).filter((e) => !allowed.includes(e)), []);
}

describe('unpackTarball', () => {
  it('unpacks a tarball made by the tar CLI, keeping modes, links and long names', async () => {
    const dir = fresh();
    sampleTree(join(dir, 'src'));
    const tgz = join(dir, 'pkg.tar.gz');
    execFileSync('tar', ['czf', tgz, '-C', join(dir, 'src'), '.']);
    const dest = join(dir, 'out', 'pkg', '1.0.0');
    const r = await unpackTarball({ tarball: tgz, destDir: dest, maxBytes: 1e6 });
    checkSample(dest);
    assert.equal(r.files, 5); // regular files and hardlinks; symlinks and folders are not counted
    assert.equal(r.bytes, 5000 + 3 + 4 + '#!/bin/sh\necho started\n'.length);
    assertNoLeftovers(join(dir, 'out', 'pkg'), ['1.0.0']);
  });

  it('unpacks a tarball made by the tar package, and replaces an existing folder safely', async () => {
    const dir = fresh();
    sampleTree(join(dir, 'src'));
    const tgz = join(dir, 'pkg.tgz');
    await tarCreate({ gzip: true, file: tgz, cwd: join(dir, 'src') }, ['control', 'bin', 'lib', 'deep']);
    const dest = join(dir, 'v1');
    mkdirSync(dest);
    writeFileSync(join(dest, 'stale-file'), 'old');
    await unpackTarball({ tarball: tgz, destDir: dest, maxBytes: 1e6 });
    checkSample(dest);
    assert.equal(existsSync(join(dest, 'stale-file')), false);
    assertNoLeftovers(dir, ['src', 'pkg.tgz', 'v1']);
  });

  it('accepts a plain (uncompressed) tar and removes folders left by an interrupted unpack', async () => {
    const dir = fresh();
    sampleTree(join(dir, 'src'));
    const tar = join(dir, 'pkg.tar');
    execFileSync('tar', ['cf', tar, '-C', join(dir, 'src'), '.']);
    mkdirSync(join(dir, '.v1.unpack-deadbeef', 'half'), { recursive: true });
    await unpackTarball({ tarball: tar, destDir: join(dir, 'v1'), maxBytes: 1e6 });
    checkSample(join(dir, 'v1'));
    assertNoLeftovers(dir, ['src', 'pkg.tar', 'v1']);
  });

  it('drops setuid and setgid bits', async () => {
    const dir = fresh();
    const tgz = join(dir, 's.tgz');
    writeFileSync(tgz, craft([{ path: 'su', body: Buffer.from('x'), mode: 0o6755 }]));
    await unpackTarball({ tarball: tgz, destDir: join(dir, 'out'), maxBytes: 1e6 });
    assert.equal(statSync(join(dir, 'out', 'su')).mode & 0o7777, 0o755);
  });

  const outside = join(tmpdir(), `drover-evil-${process.pid}-${Date.now()}`);
  const evil: Array<{ name: string; entries: Crafted[]; match: RegExp }> = [
    { name: '../evil', entries: [{ path: 'ok.txt', body: Buffer.from('ok') }, { path: '../evil', body: Buffer.from('pwned') }], match: /escapes/ },
    { name: 'a/../../evil', entries: [{ path: 'a/../../evil', body: Buffer.from('pwned') }], match: /escapes/ },
    { name: 'absolute path', entries: [{ path: outside, body: Buffer.from('pwned') }], match: /absolute/ },
    { name: 'symlink to /etc, then a file through it', entries: [{ path: 'link', type: 'SymbolicLink', linkpath: '/etc' }, { path: 'link/passwd', body: Buffer.from('root::0:0::/:/bin/sh\n') }], match: /absolute|symlink/ },
    { name: 'relative symlink out, then a file through it', entries: [{ path: 'd/link', type: 'SymbolicLink', linkpath: '../../..' }, { path: 'd/link/x', body: Buffer.from('x') }], match: /outside|through/ },
    { name: 'symlink chain that only escapes once complete', entries: [{ path: 'l2', type: 'SymbolicLink', linkpath: 'l1/..' }, { path: 'l1', type: 'SymbolicLink', linkpath: '.' }], match: /outside/ },
    { name: 'hardlink to /etc/passwd', entries: [{ path: 'h', type: 'Link', linkpath: '/etc/passwd' }], match: /absolute/ },
    { name: 'hardlink up the tree', entries: [{ path: 'h', type: 'Link', linkpath: '../../../etc/passwd' }], match: /escapes/ },
    { name: 'hardlink to a file not in the archive', entries: [{ path: 'h', type: 'Link', linkpath: 'etc/passwd' }], match: /not a file of the archive/ },
    { name: 'character device', entries: [{ path: 'null', type: 'CharacterDevice' }], match: /CharacterDevice/ },
    { name: 'block device', entries: [{ path: 'sda', type: 'BlockDevice' }], match: /BlockDevice/ },
    { name: 'FIFO', entries: [{ path: 'pipe', type: 'FIFO' }], match: /FIFO/ },
  ];
  for (const c of evil) {
    it(`refuses ${c.name}, leaving nothing behind`, async () => {
      const dir = fresh();
      const tgz = join(dir, 'evil.tgz');
      writeFileSync(tgz, craft(c.entries));
      await assert.rejects(
        unpackTarball({ tarball: tgz, destDir: join(dir, 'out'), maxBytes: 1e6 }),
        (err: unknown) => err instanceof DroverError && err.code === 'UNSAFE_ARCHIVE' && err.kind === 'stalled' && c.match.test(err.message),
      );
      assertNoLeftovers(dir, ['evil.tgz']);
      assert.equal(existsSync(join(root, 'evil')), false);
      assert.equal(existsSync(outside), false);
    });
  }

  it('refuses a gzip bomb past the size limit (made with the tar CLI)', async () => {
    const dir = fresh();
    mkdirSync(join(dir, 'src'));
    execFileSync('truncate', ['-s', '64M', join(dir, 'src', 'zeros')]);
    const tgz = join(dir, 'bomb.tgz');
    execFileSync('tar', ['czf', tgz, '-C', join(dir, 'src'), 'zeros']);
    rmSync(join(dir, 'src'), { recursive: true });
    assert.ok(statSync(tgz).size < 1_000_000);
    await assert.rejects(
      unpackTarball({ tarball: tgz, destDir: join(dir, 'out'), maxBytes: 10_000_000 }),
      (err: unknown) => err instanceof DroverError && err.code === 'UNSAFE_ARCHIVE' && /limit/.test(err.message),
    );
    assertNoLeftovers(dir, ['bomb.tgz']);
  });

  it('refuses more entries than allowed', async () => {
    const dir = fresh();
    const tgz = join(dir, 'many.tgz');
    writeFileSync(tgz, craft(Array.from({ length: 50 }, (_, i) => ({ path: `f${i}`, body: Buffer.from('x') }))));
    await assert.rejects(unpackTarball({ tarball: tgz, destDir: join(dir, 'out'), maxBytes: 1e6, maxEntries: 20 }), /more than 20 entries/);
    assertNoLeftovers(dir, ['many.tgz']);
  });

  it('reports a file that is not an archive as BAD_ARCHIVE', async () => {
    const dir = fresh();
    const junk = join(dir, 'junk.tgz');
    writeFileSync(junk, gzipSync(randomBytes(4096)));
    await assert.rejects(unpackTarball({ tarball: junk, destDir: join(dir, 'out'), maxBytes: 1e6 }), (err: unknown) => err instanceof DroverError && err.code === 'BAD_ARCHIVE');
    const truncated = join(dir, 'cut.tgz');
    writeFileSync(truncated, craft([{ path: 'a', body: randomBytes(100_000) }]).subarray(0, 20_000));
    await assert.rejects(unpackTarball({ tarball: truncated, destDir: join(dir, 'out2'), maxBytes: 1e6 }), (err: unknown) => err instanceof DroverError && err.code === 'BAD_ARCHIVE');
    assertNoLeftovers(dir, ['junk.tgz', 'cut.tgz']);
    assert.equal(lstatSync(dir).isDirectory(), true);
  });
});

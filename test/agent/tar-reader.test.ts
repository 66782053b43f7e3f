// The tar parser of the unpack on its own: archives from the tar package and GNU tar (pax headers,
// GNU long names, ustar prefixes, base-256 sizes), fed in chunks of every size, and damaged ones.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Header } from 'tar';
import { TarReader, type TarEntry } from '../../agent/tar-reader.js';
import { DroverError } from '../../lib/errors.js';

const root = mkdtempSync(join(tmpdir(), 'drover-tar-reader-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Seen extends TarEntry { body: string }

function read(archive: Buffer, chunk: number): Seen[] {
  const seen: Seen[] = [];
  let body: Buffer[] = [];
  const reader = new TarReader({
    entry: (e) => {
      body = [];
      seen.push({ ...e, body: '' });
    },
    data: (piece) => body.push(Buffer.from(piece)),
    end: () => (seen[seen.length - 1]!.body = Buffer.concat(body).toString()),
  });
  for (let off = 0; off < archive.length; off += chunk) reader.push(archive.subarray(off, off + chunk));
  reader.finish();
  return seen;
}

function block(h: ConstructorParameters<typeof Header>[0]): Buffer {
  const b = Buffer.alloc(512);
  new Header({ mode: 0o644, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000), ...h }).encode(b, 0);
  return b;
}
const pad = (body: Buffer) => Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
const end = Buffer.alloc(1024);
/** "LEN key=value\n", LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let len = rest.length + 1;
  while (String(len).length + rest.length !== len) len++;
  return `${len}${rest}`;
}

describe('TarReader', () => {
  it('reads what GNU tar writes (long names, a ustar prefix, pax), in chunks of any size', () => {
    const src = join(root, 'src');
    const deep = `${'d'.repeat(70)}/${'e'.repeat(70)}/${'f'.repeat(90)}`; // a ustar prefix, then a name
    mkdirSync(join(src, 'd'.repeat(70), 'e'.repeat(70)), { recursive: true });
    writeFileSync(join(src, deep), 'deep');
    writeFileSync(join(src, 'small'), 'x'.repeat(700));
    const long = join(root, 'long');
    mkdirSync(long);
    writeFileSync(join(long, 'n'.repeat(120)), 'long');
    const cases: Array<[string, string, string[][]]> = [
      ['gnu', src, [[`./${deep}`, 'deep'], ['./small', 'x'.repeat(700)]]],
      ['pax', src, [[`./${deep}`, 'deep'], ['./small', 'x'.repeat(700)]]],
      ['ustar', src, [[`./${deep}`, 'deep'], ['./small', 'x'.repeat(700)]]],
      ['gnu', long, [[`./${'n'.repeat(120)}`, 'long']]],
      ['pax', long, [[`./${'n'.repeat(120)}`, 'long']]],
    ];
    for (const [format, dir, want] of cases) {
      const tar = join(root, 'a.tar');
      execFileSync('tar', ['cf', tar, `--format=${format}`, '-C', dir, '--sort=name', '.']);
      const archive = readFileSync(tar);
      for (const chunk of [1, 7, 512, 513, 4096, archive.length]) {
        const seen = read(archive, chunk);
        assert.deepEqual(seen.filter((e) => e.type === 'File').map((e) => [e.path, e.body]), want, `${format}, chunks of ${chunk}`);
        assert.ok(seen.every((e) => e.type !== 'Directory' || e.size === 0));
        assert.equal(seen[0]!.type, 'Directory');
      }
    }
  });

  it('applies pax path, linkpath, size and mtime, and GNU long links', () => {
    const pax = Buffer.from(paxRecord('path', 'from/pax/header.txt') + paxRecord('mtime', '1234567890.5'));
    const longLink = Buffer.from(`${'t'.repeat(150)}\0`);
    const archive = Buffer.concat([
      block({ path: 'PaxHeader', type: 'ExtendedHeader', size: pax.length }), pad(pax),
      block({ path: 'short.txt', type: 'File', size: 3 }), pad(Buffer.from('abc')),
      block({ path: '././@LongLink', type: 'NextFileHasLongLinkpath', size: longLink.length }), pad(longLink),
      block({ path: 'l', type: 'SymbolicLink', linkpath: 'x' }),
      block({ path: 'old-dir/', type: 'File', size: 0 }),
      end,
    ]);
    const seen = read(archive, 100);
    assert.deepEqual(seen.map((e) => [e.path, e.type, e.body, e.mtime]), [
      ['from/pax/header.txt', 'File', 'abc', 1234567890],
      ['l', 'SymbolicLink', '', 1_700_000_000],
      ['old-dir/', 'Directory', '', 1_700_000_000],
    ]);
    assert.equal(seen[1]!.linkpath, 't'.repeat(150));
  });

  it('reads a base-256 size and names device files by their type', () => {
    const h = block({ path: 'big', type: 'File', size: 0 });
    h.fill(0, 124, 136);
    h[124] = 0x80;
    h.writeUInt32BE(3, 132);
    h.fill(0x20, 148, 156);
    let sum = 0;
    for (const c of h) sum += c;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    const seen = read(Buffer.concat([h, pad(Buffer.from('abc')), block({ path: 'null', type: 'CharacterDevice' }), end]), 512);
    assert.deepEqual(seen.map((e) => [e.path, e.type, e.body]), [['big', 'File', 'abc'], ['null', 'CharacterDevice', '']]);
  });

  const damaged: Array<[string, Buffer, RegExp]> = [
    ['random bytes', Buffer.alloc(1024, 7), /checksum/],
    ['a header cut short', block({ path: 'a', type: 'File', size: 3 }).subarray(0, 300), /truncated/],
    ['a body cut short', Buffer.concat([block({ path: 'a', type: 'File', size: 3000 }), Buffer.alloc(1000)]), /truncated/],
    ['a pax header past 1 MiB', block({ path: 'P', type: 'ExtendedHeader', size: 2 * 1024 * 1024 }), /extended header/],
    ['a malformed pax record', Buffer.concat([block({ path: 'P', type: 'ExtendedHeader', size: 12 }), pad(Buffer.from('99 path=x\n\0\0')), end]), /pax/],
  ];
  for (const [name, archive, message] of damaged) {
    it(`refuses ${name} as BAD_ARCHIVE`, () => {
      assert.throws(() => read(archive, 512), (err: unknown) => err instanceof DroverError && err.code === 'BAD_ARCHIVE' && message.test(err.message));
    });
  }
});

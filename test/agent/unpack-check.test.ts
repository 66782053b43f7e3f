import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkEntries, entryParts, resolveInArchive, StreamChecker, type ArchiveEntry } from '../../agent/unpack-check.js';

const f = (path: string, size = 1): ArchiveEntry => ({ path, type: 'File', size });
const d = (path: string): ArchiveEntry => ({ path, type: 'Directory', size: 0 });
const sl = (path: string, linkpath: string): ArchiveEntry => ({ path, type: 'SymbolicLink', size: 0, linkpath });
const hl = (path: string, linkpath: string): ArchiveEntry => ({ path, type: 'Link', size: 0, linkpath });
const limits = { maxBytes: 100, maxEntries: 10 };

describe('checkEntries', () => {
  const ok: Array<[string, ArchiveEntry[], { files: number; bytes: number }]> = [
    ['plain files and folders', [d('./'), d('./bin/'), f('./bin/app', 10), f('control', 5)], { files: 2, bytes: 15 }],
    ['symlink chain inside', [f('lib/a.so.1.2', 3), sl('lib/a.so', 'a.so.1'), sl('lib/a.so.1', 'a.so.1.2')], { files: 1, bytes: 3 }],
    ['symlink up and back in', [d('a/'), f('b/x'), sl('a/l', '../b/x')], { files: 1, bytes: 1 }],
    ['symlink to the folder itself', [sl('here', '.')], { files: 0, bytes: 0 }],
    ['hardlink to an earlier file', [f('a', 4), hl('b', 'a')], { files: 2, bytes: 4 }],
    ['exactly at the limits', [f('a', 60), f('b', 40)], { files: 2, bytes: 100 }],
  ];
  for (const [name, entries, want] of ok) {
    it(`accepts ${name}`, () => assert.deepEqual(checkEntries(entries, limits), want));
  }

  const bad: Array<[string, ArchiveEntry[], RegExp]> = [
    ['../ at the front', [f('../x')], /escapes/],
    ['../ in the middle', [f('a/../../x')], /escapes/],
    ['an absolute path', [f('/etc/passwd')], /absolute/],
    ['a NUL byte', [f('a\0b')], /NUL/],
    ['an absolute symlink', [sl('l', '/etc')], /absolute/],
    ['a symlink up and out', [sl('a/l', '../../x')], /outside/],
    ['a file through an inside symlink', [d('real/'), sl('l', 'real'), f('l/x')], /through a symlink/],
    ['a symlink through a later symlink', [sl('l2', 'l1/..'), sl('l1', '.')], /outside/],
    ['a symlink loop', [sl('a', 'b'), sl('b', 'a')], /outside|loops/],
    ['a hardlink through a symlink', [f('real'), sl('l', 'real'), hl('h', 'l')], /hardlink/],
    ['a hardlink to a later file', [hl('h', 'a'), f('a')], /not a file of the archive/],
    ['a file replaced by a symlink', [f('a'), sl('a', 'b'), f('b')], /replaces a symlink/],
    ['a FIFO', [{ path: 'p', type: 'FIFO', size: 0 }], /FIFO/],
    ['an unknown type', [{ path: 'p', type: 'Unsupported', size: 0 }], /Unsupported/],
    ['too many bytes', [f('a', 60), f('b', 41)], /limit of 100 bytes/],
    ['too many entries', Array.from({ length: 11 }, (_, i) => f(`f${i}`)), /more than 10 entries/],
  ];
  for (const [name, entries, match] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => checkEntries(entries, limits), (err: Error & { code?: string }) => err.code === 'UNSAFE_ARCHIVE' && match.test(err.message)));
  }
});

describe('resolveInArchive', () => {
  const links = new Map([['l', 'a/b'], ['a/b/up', '../..'], ['loop', 'loop']]);
  const cases: Array<[string[], string[] | null]> = [
    [['x'], ['x']],
    [['l', 'c'], ['a', 'b', 'c']],
    [['a', 'b', 'up', 'x'], ['x']],
    [['l', 'up', '..'], null],
    [['..'], null],
    [['loop'], null],
  ];
  for (const [input, want] of cases) {
    it(`${input.join('/')} -> ${want?.join('/') ?? 'outside'}`, () => assert.deepEqual(resolveInArchive(input, links), want));
  }
});

describe('entryParts', () => {
  const cases: Array<[string, string[] | RegExp]> = [
    ['a/b/c', ['a', 'b', 'c']],
    ['./a//b/', ['a', 'b']],
    ['a/', ['a']],
    ['./', []],
    ['a/./b', ['a', 'b']],
    ['a/../b', /escapes/],
    ['..', /escapes/],
    ['/a', /absolute/],
    ['C:x', /absolute/],
  ];
  for (const [raw, want] of cases) {
    it(`${raw} -> ${want instanceof RegExp ? 'refused' : want.join(',')}`, () => {
      if (want instanceof RegExp) assert.throws(() => entryParts(raw), (err: Error & { code?: string }) => err.code === 'UNSAFE_ARCHIVE' && want.test(err.message));
      else assert.deepEqual(entryParts(raw), want);
    });
  }
});

describe('StreamChecker', () => {
  /** Feeds the entries in order, remembering files as the writer would; returns the symlinks kept. */
  const run = (entries: ArchiveEntry[]) => {
    const written = new Set<string>();
    const checker = new StreamChecker(limits, { isFile: (key) => written.has(key) });
    for (const e of entries) {
      const parts = checker.entry(e);
      if (e.type === 'File') written.add(parts.join('/'));
    }
    return checker.finish().map((l) => l.path.join('/'));
  };
  const ok: Array<[string, ArchiveEntry[], string[]]> = [
    ['files side by side in a folder', [d('a/'), f('a/x'), f('a/y'), f('a/b/z'), f('a/w')], []],
    ['a symlink beside files of the same folder', [f('a/x'), sl('a/l', 'x'), f('a/y')], ['a/l']],
  ];
  for (const [name, entries, links] of ok) {
    it(`accepts ${name}`, () => assert.deepEqual(run(entries), links));
  }
  // Folders already checked for an earlier entry are not checked again for the next one in the same
  // folder: they must stay refused as symlinks later on.
  const bad: Array<[string, ArchiveEntry[], RegExp]> = [
    ['a symlink replacing the folder of earlier files', [f('a/x'), f('a/y'), sl('a', '.')], /through a symlink/],
    ['a symlink replacing a folder higher up', [f('a/b/x'), f('a/b/y'), sl('a', '.')], /through a symlink/],
    ['files under a symlink made between two of them', [f('a/x'), sl('l', 'a'), f('l/y'), f('l/z')], /through a symlink/],
    ['files under a symlink, one after the other', [sl('l', '.'), f('l/x'), f('l/y')], /through a symlink/],
  ];
  for (const [name, entries, match] of bad) {
    it(`refuses ${name}`, () => assert.throws(() => run(entries), (err: Error & { code?: string }) => err.code === 'UNSAFE_ARCHIVE' && match.test(err.message)));
  }
});

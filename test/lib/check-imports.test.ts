import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, it } from 'node:test';
// @ts-expect-error: a plain .mjs script without types
import { backEdges, cycles, importGraph } from '../../scripts/check-imports.mjs';

const root = mkdtempSync(join(tmpdir(), 'drover-imports-'));
after(() => rmSync(root, { recursive: true, force: true }));
const write = (file: string, text: string): void => {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
};

it('finds back edges between folders and cycles between files, type-only and dynamic imports included', () => {
  write('specs/a.ts', "export const a = 1;\n");
  write('lib/b.ts', "import { a } from '../specs/a.js';\nimport type { C } from '../control/c.js';\nexport const b = a;\n");
  write('control/c.ts', "export type C = 1;\nimport { b } from '../lib/b.js';\n");
  write('jump/menu.ts', "import type { S } from './session.js';\nexport const m = 1;\n");
  write('jump/session.ts', "export type S = 1;\nexport async function f() { return import('./menu.js'); }\n");
  write('cli/ok.ts', "import { m } from '../jump/menu.js';\n");
  const graph = importGraph(root);
  assert.deepEqual(backEdges(graph), [join('lib', 'b.ts') + ' -> ' + join('control', 'c.ts')]);
  assert.deepEqual(cycles(graph).sort(), [
    [join('control', 'c.ts'), join('lib', 'b.ts'), join('control', 'c.ts')].join(' -> '),
    [join('jump', 'menu.ts'), join('jump', 'session.ts'), join('jump', 'menu.ts')].join(' -> '),
  ]);
});

it('passes on the project itself', () => {
  const graph = importGraph(join(import.meta.dirname, '..', '..'));
  assert.deepEqual(cycles(graph), []);
});

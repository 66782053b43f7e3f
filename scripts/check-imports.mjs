#!/usr/bin/env node
// Fails (exit 1) on any import that runs against the folder order
//   specs <- lib <- control <- reconciler | agent | jump <- cli
// and on any import cycle between source files. Every static import counts (type-only ones too:
// a type cycle is still two files that cannot be understood apart), and so does `import('…')`.
// Run by `npm run lint`, from the project's root.
import fs from 'node:fs';
import path from 'node:path';

const RANK = { specs: 0, lib: 1, control: 2, reconciler: 3, agent: 3, jump: 3, cli: 4 };
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?[^'"]*?from\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'assets' || e.name === 'node_modules' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [p] : [];
  });
}

/** file -> the project files it imports. */
export function importGraph(root = '.') {
  const files = Object.keys(RANK).filter((d) => fs.existsSync(path.join(root, d))).flatMap((d) => sourceFiles(path.join(root, d)));
  const graph = new Map();
  for (const file of files) {
    const rel = path.relative(root, file);
    const targets = new Set();
    for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const target = path.normalize(path.join(path.dirname(rel), m[1] ?? m[2])).replace(/\.js$/, '.ts');
      if (fs.existsSync(path.join(root, target))) targets.add(target);
    }
    graph.set(rel, [...targets]);
  }
  return graph;
}

/** Imports from a folder to one of the same or a later rank. */
export function backEdges(graph) {
  const out = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const a = from.split(path.sep)[0];
      const b = to.split(path.sep)[0];
      if (a !== b && RANK[b] >= RANK[a]) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

/** Each import cycle once, as "a -> b -> a". */
export function cycles(graph) {
  const out = [];
  const done = new Set();
  const onPath = [];
  const visit = (n) => {
    const at = onPath.indexOf(n);
    if (at !== -1) return void out.push([...onPath.slice(at), n].join(' -> '));
    if (done.has(n)) return;
    done.add(n);
    onPath.push(n);
    for (const t of graph.get(n) ?? []) visit(t);
    onPath.pop();
  };
  for (const n of [...graph.keys()].sort()) visit(n);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const graph = importGraph();
  const problems = [...backEdges(graph).map((e) => `against the folder order: ${e}`), ...cycles(graph).map((c) => `cycle: ${c}`)];
  for (const p of problems) console.log(p);
  if (problems.length) console.log(`\n${problems.length} import problem(s): imports run one way: specs <- lib <- control <- reconciler | agent | jump <- cli`);
  process.exit(problems.length ? 1 : 0);
}

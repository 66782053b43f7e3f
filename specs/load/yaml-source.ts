// Parses one YAML file and maps paths inside it (as zod reports them) back to line:col.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Problem } from './problem.js';

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** The parsed value (undefined when the file has syntax errors). */
  value: unknown;
  problems: Problem[];
}

export interface Position {
  line: number;
  col: number;
}

export function parseYamlSource(file: string, text: string): YamlSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const problems: Problem[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
    problems.push({ file, line: pos.line, col: pos.col, message: yamlMessage(err.code, err.message), severity: 'error' });
  }
  for (const warn of doc.warnings) {
    const pos = warn.linePos?.[0] ?? lines.linePos(warn.pos[0]);
    problems.push({ file, line: pos.line, col: pos.col, message: yamlMessage(warn.code, warn.message), severity: 'warning' });
  }
  if (text.includes('\n---') || text.startsWith('---\n') ? countDocuments(text) > 1 : false) {
    problems.push({ file, line: 1, col: 1, message: 'one YAML document per file is expected', severity: 'error' });
  }
  const value = problems.some((p) => p.severity === 'error') ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { file, text, doc, lines, value, problems };
}

function countDocuments(text: string): number {
  return text.split(/^---\s*$/m).filter((part) => part.trim() !== '' && !/^\s*(#.*\s*)*$/.test(part)).length;
}

function yamlMessage(code: string, message: string): string {
  // The yaml library appends its own position and a code frame; keep the first sentence.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return first.replace('Map keys must be unique', 'duplicate key');
  return `YAML syntax: ${first}`;
}

function posOf(src: YamlSource, offset: number | undefined): Position {
  if (offset === undefined) return { line: 1, col: 1 };
  const p = src.lines.linePos(offset);
  return { line: p.line, col: p.col };
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** Finds the node at `path`; `key: true` asks for the key of the last element instead of its value. */
export function locate(src: YamlSource, path: readonly PropertyKey[], opts: { key?: boolean } = {}): Position {
  let node: unknown = src.doc.contents;
  let lastFound: unknown = node;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const isLast = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      if (isLast && opts.key) return posOf(src, nodeStart(pair.key));
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      node = item;
    } else {
      break;
    }
    lastFound = node;
  }
  return posOf(src, nodeStart(lastFound) ?? nodeStart(src.doc.contents));
}

/** The keys present in the map at `path`, for "did you mean" hints. */
export function mapNodeAt(src: YamlSource, path: readonly PropertyKey[]): Node | undefined {
  let node: unknown = src.doc.contents;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      node = pair?.value;
    } else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
    else return undefined;
  }
  return node as Node | undefined;
}

// Parses one YAML file and maps paths inside it (as zod reports them) back to line:col.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
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
  const at = (offset: number): Position => {
    const p = lines.linePos(offset);
    return { line: p.line, col: p.col };
  };
  // After the first syntax error the parser's recovery is guesswork: later errors are usually
  // echoes of the first one, so only the first is reported. Duplicate keys are independent mistakes.
  const syntax = doc.errors.filter((e) => e.code !== 'DUPLICATE_KEY').sort((a, b) => a.pos[0] - b.pos[0])[0];
  if (syntax) {
    const { offset, message } = describeSyntaxError(doc, text, syntax.code, syntax.message, syntax.pos[0]);
    problems.push({ file, ...at(offset), message, severity: 'error' });
  }
  for (const err of doc.errors) {
    if (err.code !== 'DUPLICATE_KEY') continue;
    const key = keyTextAt(text, err.pos[0]);
    const first = key === undefined ? undefined : firstKeyOffset(doc, err.pos[0], key);
    const firstAt = first === undefined ? '' : ` (first at line ${at(first).line})`;
    problems.push({ file, ...at(err.pos[0]), message: key === undefined ? 'duplicate key' : `duplicate key "${key}"${firstAt}`, severity: 'error' });
  }
  for (const warn of doc.warnings) {
    problems.push({ file, ...at(warn.pos[0]), message: yamlMessage(warn.code, warn.message), severity: 'warning' });
  }
  const value = problems.some((p) => p.severity === 'error') ? undefined : doc.toJS({ maxAliasCount: 100 });
  return { file, text, doc, lines, value, problems };
}

function yamlMessage(code: string, message: string): string {
  // The yaml library appends its own position and a code frame; keep the first sentence.
  const first = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (code === 'DUPLICATE_KEY') return first.replace('Map keys must be unique', 'duplicate key');
  if (code === 'MULTIPLE_DOCS') return 'a second YAML document starts here: one document per file is expected';
  return `YAML syntax: ${first}`;
}

interface RangedNode {
  range: [number, number, number];
  flow?: boolean;
  type?: string;
}

function allNodes(doc: Document.Parsed): RangedNode[] {
  const out: RangedNode[] = [];
  visit(doc, (_key, node) => {
    if ((node as Partial<RangedNode> | null)?.range) out.push(node as unknown as RangedNode);
    if (isPair(node) && (node.key as Partial<RangedNode> | null)?.range) out.push(node.key as unknown as RangedNode);
  });
  return out;
}

/** Where an unclosed bracket or quote was opened: the parser notices it only where it gives up. */
function describeSyntaxError(doc: Document.Parsed, text: string, code: string, message: string, offset: number): { offset: number; message: string } {
  const flow = /^Flow (sequence|map) in block collection/.exec(message);
  if (code === 'BAD_INDENT' && flow) {
    const open = flow[1] === 'sequence' ? '[' : '{';
    const close = flow[1] === 'sequence' ? ']' : '}';
    const start = allNodes(doc)
      .filter((n) => n.flow && text[n.range[0]] === open && n.range[0] <= offset)
      .reduce<number | undefined>((best, n) => (best === undefined || n.range[0] > best ? n.range[0] : best), undefined);
    if (start !== undefined) return { offset: start, message: `YAML syntax: this "${open}" is never closed (add the matching "${close}")` };
  }
  const quote = /^Missing closing (["'])quote/.exec(message);
  if (code === 'MISSING_CHAR' && quote) {
    const start = allNodes(doc)
      .filter((n) => text[n.range[0]] === quote[1] && n.range[0] < offset)
      .reduce<number | undefined>((best, n) => (best === undefined || n.range[0] > best ? n.range[0] : best), undefined);
    if (start !== undefined) return { offset: start, message: `YAML syntax: this quoted string is never closed (add the closing ${quote[1]})` };
  }
  return { offset, message: yamlMessage(code, message) };
}

function keyTextAt(text: string, offset: number): string | undefined {
  const m = /^(?:"([^"\n]*)"|'([^'\n]*)'|([^:#\n]*?))\s*:/.exec(text.slice(offset));
  const key = m ? (m[1] ?? m[2] ?? m[3]) : undefined;
  return key === undefined || key === '' ? undefined : key;
}

/** The offset of the first key equal to `key` in the map that holds the duplicate at `dupOffset`. */
function firstKeyOffset(doc: Document.Parsed, dupOffset: number, key: string): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Map: (_k, map) => {
      const keys = map.items.map((p) => (isPair(p) && isScalar(p.key) ? p.key : undefined));
      if (!keys.some((k) => k?.range?.[0] === dupOffset)) return undefined;
      const first = keys.find((k) => k !== undefined && String(k.value) === key);
      found = first?.range?.[0];
      return visit.BREAK;
    },
  });
  return found;
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

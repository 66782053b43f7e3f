// Turns zod issues into problems that point at the YAML node at fault, with readable messages.
import type { z } from 'zod';
import type { Problem } from './problem.js';
import { locate, mapNodeAt, type YamlSource } from './yaml-source.js';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
  valueType?: AnySchema;
}

function defOf(schema: AnySchema): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The object schemas reachable at `path` (several when unions are involved). */
function objectSchemasAt(schema: AnySchema, path: readonly PropertyKey[]): Def[] {
  let current: AnySchema[] = [schema];
  const unwrap = (s: AnySchema): AnySchema[] => {
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') return unwrap(d.innerType!);
    if (d.type === 'pipe') return unwrap(d.in!);
    if (d.type === 'union') return d.options!.flatMap(unwrap);
    return [s];
  };
  for (const seg of path) {
    const next: AnySchema[] = [];
    for (const s of current.flatMap(unwrap)) {
      const d = defOf(s);
      if (d.type === 'object' && typeof seg === 'string' && d.shape![seg]) next.push(d.shape![seg]!);
      else if (d.type === 'array' && typeof seg === 'number') next.push(d.element!);
      else if (d.type === 'record') next.push(d.valueType!);
    }
    current = next;
  }
  return current.flatMap(unwrap).map(defOf).filter((d) => d.type === 'object');
}

export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return best !== undefined && bestScore <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `a string`;
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a map', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'a whole number',
};

export function zodIssuesToProblems(src: YamlSource, schema: AnySchema, issues: z.core.$ZodIssue[]): Problem[] {
  const problems: Problem[] = [];
  // A typo such as `verison` yields both "unknown field" and "missing version": report the typo only.
  const typoTargets = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = new Set(objectSchemasAt(schema, issue.path as PropertyKey[]).flatMap((d) => Object.keys(d.shape ?? {})));
    for (const key of issue.keys) {
      const hint = closest(key, known);
      if (hint) typoTargets.add(JSON.stringify([...issue.path.map(String), hint]));
    }
  }
  const at = (path: readonly PropertyKey[], message: string, key = false): void => {
    const pos = locate(src, path, { key });
    if (message.includes('{source}')) {
      const node = mapNodeAt(src, path) as { range?: [number, number, number] } | undefined;
      const text = node?.range ? sourceText(src, node.range) : undefined;
      message = message.replace('{source}', text ? `"${text}"` : 'the value');
    }
    problems.push({ file: src.file, line: pos.line, col: pos.col, message, severity: 'error' });
  };
  const field = (path: readonly PropertyKey[]): string => (path.length ? path.map(String).join('.') : 'document');
  for (const issue of issues) {
    const path = issue.path as PropertyKey[];
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = new Set(objectSchemasAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})));
        for (const key of issue.keys) {
          const hint = closest(key, known);
          const where = path.length ? ` in ${field(path)}` : '';
          at([...path, key], `unknown field "${key}"${where}${hint ? ` (did you mean "${hint}"?)` : known.size ? ` (known fields: ${[...known].join(', ')})` : ''}`, true);
        }
        break;
      }
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        if (input === undefined && typoTargets.has(JSON.stringify(path.map(String)))) break;
        if (input === undefined) at(path.slice(0, -1), `missing required field "${String(path[path.length - 1] ?? '')}"`);
        else if (issue.message && !issue.message.startsWith('Invalid input')) at(path, `${field(path)} ${issue.message}`);
        else at(path, `${field(path)} must be ${expected}, not ${describe(input)}`);
        break;
      }
      case 'invalid_value': {
        const values = (issue as { values?: unknown[] }).values ?? [];
        at(path, `${field(path)} must be ${values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => String(v)).join(', ')}`}`);
        break;
      }
      case 'invalid_union': {
        const nested = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
        // Report the branch that got furthest (fewest problems), so the message names a real mistake.
        const best = [...nested].sort((a, b) => a.length - b.length)[0];
        if (best && best.length && !(issue as { discriminator?: string }).discriminator) {
          problems.push(...zodIssuesToProblems(src, schema, best.map((i) => ({ ...i, path: [...path, ...i.path] }))));
        } else at(path, `${field(path)} ${issue.message.startsWith('Invalid') ? 'has an unsupported form' : issue.message}`);
        break;
      }
      case 'too_small':
      case 'too_big':
      case 'invalid_format':
      case 'custom':
      default:
        at(path, `${field(path)} ${issue.message}`);
    }
  }
  return problems;
}

function sourceText(src: YamlSource, range: [number, number, number]): string | undefined {
  const text = src.text.slice(range[0], range[1]).trim();
  return text && text.length <= 64 ? text : undefined;
}

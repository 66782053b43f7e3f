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

/** Edit distance counting an insertion, deletion, substitution or swap of neighbours as one (case-insensitive). */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev2: number[] = [];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      row.push(d);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[y.length]!;
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
  if (typeof value === 'string') return value.length <= 40 && !value.includes('\n') ? `the text ${JSON.stringify(value)}` : 'a text';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  object: 'a map', record: 'a map', array: 'a list', string: 'a string', number: 'a number', boolean: 'true or false', int: 'a whole number',
};

type Issue = z.core.$ZodIssue;
type Path = readonly PropertyKey[];
const keyOf = (path: Path): string => JSON.stringify(path.map(String));

/** `commands[0].select.labels`, as an operator would name the field. */
export function fieldName(path: Path): string {
  return path.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${String(seg)}` : String(seg)), '');
}

/** A schema message that reads on after the field name ("must be …") or a sentence of its own. */
function withField(path: Path, message: string): string {
  if (!path.length) return message;
  return /^(must|is|are|has|needs) /.test(message) ? `${fieldName(path)} ${message}` : `${fieldName(path)}: ${message}`;
}

/** True when the issue only says that the value at its path is absent. */
function isMissing(issue: Issue): boolean {
  if (issue.code === 'invalid_type') return (issue as { input?: unknown }).input === undefined;
  if (issue.code === 'invalid_union') {
    const branches = (issue as { errors?: Issue[][] }).errors ?? [];
    return branches.length > 0 && branches.every((b) => b.some((i) => i.path.length === 0 && isMissing(i)));
  }
  return false;
}

/** Paths of required fields whose absence is explained by a typo next to them (`verison` for `version`). */
function typoTargetsOf(schema: AnySchema, issues: readonly Issue[]): Set<string> {
  const targets = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const known = new Set(objectSchemasAt(schema, issue.path as Path).flatMap((d) => Object.keys(d.shape ?? {})));
    for (const key of issue.keys) {
      const hint = closest(key, known);
      if (hint) targets.add(keyOf([...issue.path, hint]));
    }
  }
  return targets;
}

export function zodIssuesToProblems(src: YamlSource, schema: AnySchema, issues: Issue[]): Problem[] {
  return convert(src, schema, issues, typoTargetsOf(schema, issues));
}

function convert(src: YamlSource, schema: AnySchema, issues: readonly Issue[], typoTargets: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const at = (path: Path, message: string, key = false): void => {
    const pos = locate(src, path, { key });
    if (message.includes('{source}')) {
      const node = mapNodeAt(src, path) as { range?: [number, number, number] } | undefined;
      const text = node?.range ? sourceText(src, node.range) : undefined;
      message = message.replace('{source}', text ? `"${text}"` : 'the value');
    }
    problems.push({ file: src.file, line: pos.line, col: pos.col, message, severity: 'error' });
  };
  // An object with an unknown key (a typo) fails its own cross-field checks too ("needs a checksum"
  // when `sha256` was written `sha265`): those are echoes of the typo and are not reported.
  const withUnknownKeys = new Set(issues.filter((i) => i.code === 'unrecognized_keys').map((i) => keyOf(i.path as Path)));
  for (const issue of issues) {
    const path = issue.path as Path;
    if (issue.code === 'custom' && withUnknownKeys.has(keyOf(path))) continue;
    if (isMissing(issue)) {
      // A typo such as `verison` yields both "unknown field" and "missing version": report the typo only.
      if (!typoTargets.has(keyOf(path))) at(path.slice(0, -1), `missing required field "${String(path[path.length - 1] ?? '')}"${path.length > 1 ? ` in ${fieldName(path.slice(0, -1))}` : ''}`);
      continue;
    }
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = new Set(objectSchemasAt(schema, path).flatMap((d) => Object.keys(d.shape ?? {})));
        for (const key of issue.keys) {
          const where = path.length ? ` in ${fieldName(path)}` : '';
          if (known.has(key)) {
            // Known to another form of this field (a union): the two cannot be combined.
            const others = presentKeys(src, path).filter((k) => k !== key && known.has(k));
            at([...path, key], `"${key}" cannot be used together with ${others.map((k) => `"${k}"`).join(', ') || 'the other fields'}${where}: use one of them`, true);
            continue;
          }
          const hint = closest(key, known);
          at([...path, key], `unknown field "${key}"${where}${hint ? ` (did you mean "${hint}"?)` : known.size ? ` (known fields: ${[...known].join(', ')})` : ''}`, true);
        }
        break;
      }
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        const expected = EXPECTED[issue.expected] ?? issue.expected;
        if (input === null) at(path, withField(path, `has no value (${expected} is expected)`));
        else if (issue.message && !issue.message.startsWith('Invalid input')) at(path, withField(path, issue.message));
        else if (issue.expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) at(path, withField(path, `must be a string: quote it ({source})`));
        else at(path, withField(path, `must be ${expected}, not ${describe(input)}`));
        break;
      }
      case 'too_small':
      case 'too_big': {
        const i = issue as { origin?: string; minimum?: number | bigint; maximum?: number | bigint; inclusive?: boolean };
        const small = issue.code === 'too_small';
        const limit = Number(small ? i.minimum : i.maximum);
        const exact = i.inclusive === false ? (small ? limit + 1 : limit - 1) : limit;
        let text: string;
        if (issue.message && !/^Too (small|big)/.test(issue.message)) text = issue.message;
        else if (i.origin === 'number' || i.origin === 'int') text = `must be ${small ? 'at least' : 'at most'} ${exact}`;
        else if (i.origin === 'string') text = small && exact === 1 ? 'must not be empty' : `must have ${small ? 'at least' : 'at most'} ${exact} characters`;
        else if (i.origin === 'array') text = small && exact === 1 ? 'must not be an empty list' : `must have ${small ? 'at least' : 'at most'} ${exact} items`;
        else text = issue.message;
        at(path, withField(path, text));
        break;
      }
      case 'invalid_value': {
        const values = (issue as { values?: unknown[] }).values ?? [];
        at(path, withField(path, `must be ${values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.map((v) => String(v)).join(', ')}`}`));
        break;
      }
      case 'invalid_key': {
        const inner = (issue as { issues?: Issue[] }).issues?.[0]?.message ?? 'not a valid key';
        at(path, `${withField(path.slice(0, -1), `"${String(path[path.length - 1])}" is not a valid key`)}: ${inner}`, true);
        break;
      }
      case 'invalid_union': {
        const discriminator = (issue as { discriminator?: string }).discriminator;
        if (discriminator !== undefined) {
          const options = (issue as { options?: unknown[] }).options ?? [];
          const holder = path[path.length - 1] === discriminator ? path.slice(0, -1) : path;
          const target = [...holder, discriminator];
          const present = mapNodeAt(src, target) !== undefined;
          if (present) at(target, withField(target, `must be one of ${options.map(String).join(', ')}`));
          else at(holder, `missing required field "${discriminator}"${holder.length ? ` in ${fieldName(holder)}` : ''} (one of ${options.map(String).join(', ')})`);
          break;
        }
        const branches = ((issue as { errors?: Issue[][] }).errors ?? []).map((b) => b.map((i) => ({ ...i, path: [...path, ...i.path] }) as Issue));
        // Report the branch that got furthest, so the message names a real mistake: fewest problems,
        // not counting required fields whose absence a typo in that branch explains.
        const scored = branches.map((b) => {
          const typos = typoTargetsOf(schema, b);
          return { b, typos, score: b.filter((i) => !(isMissing(i) && typos.has(keyOf(i.path as Path)))).length };
        });
        const best = scored.filter((x) => x.b.length).sort((x, y) => x.score - y.score)[0];
        if (best) problems.push(...convert(src, schema, best.b, new Set([...typoTargets, ...best.typos])));
        else at(path, withField(path, 'has an unsupported form'));
        break;
      }
      default:
        at(path, withField(path, issue.message));
    }
  }
  return problems;
}

function presentKeys(src: YamlSource, path: Path): string[] {
  const node = mapNodeAt(src, path) as { items?: { key?: { value?: unknown } }[] } | undefined;
  return (node?.items ?? []).map((p) => String(p.key?.value ?? ''));
}

function sourceText(src: YamlSource, range: [number, number, number]): string | undefined {
  const text = src.text.slice(range[0], range[1]).trim();
  return text && text.length <= 64 ? text : undefined;
}

// Evaluates device selectors. Compiled once per selector; evaluated per device.
import type { Selector } from '../schema/selector.js';

export type Labels = Readonly<Record<string, string>>;
export type DeviceMatcher = (id: string, labels: Labels) => boolean;

const globCache = new Map<string, RegExp>();

/** `*` any run of characters, `?` one character, `[abc]` one of; the whole id must match. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  let src = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') src += '.*';
    else if (c === '?') src += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end > i + 1) {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        src += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = end;
      } else src += '\\[';
    } else src += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  re = new RegExp(src + '$');
  globCache.set(glob, re);
  return re;
}

const everyDevice: DeviceMatcher = () => true;

export function compileSelector(sel: Selector | undefined): DeviceMatcher {
  if (!sel) return everyDevice;
  const checks: DeviceMatcher[] = [];
  if (sel.ids && sel.ids.length) {
    const exact = new Set(sel.ids.filter((g) => !/[*?[]/.test(g)));
    const globs = sel.ids.filter((g) => /[*?[]/.test(g)).map(globToRegExp);
    checks.push((id) => exact.has(id) || globs.some((g) => g.test(id)));
  }
  const labelEntries = Object.entries(sel.labels ?? {});
  if (labelEntries.length === 1) {
    const [k, v] = labelEntries[0]!;
    checks.push((_, labels) => labels[k] === v);
  } else if (labelEntries.length) checks.push((_, labels) => labelEntries.every(([k, v]) => labels[k] === v));
  for (const expr of sel.match ?? []) {
    const key = expr.key;
    if (expr.in) {
      const set = new Set(expr.in);
      checks.push((_, labels) => labels[key] !== undefined && set.has(labels[key]!));
    } else if (expr.notIn) {
      const set = new Set(expr.notIn);
      checks.push((_, labels) => labels[key] === undefined || !set.has(labels[key]!));
    } else if (expr.exists !== undefined) {
      const want = expr.exists;
      checks.push((_, labels) => (labels[key] !== undefined) === want);
    }
  }
  if (checks.length === 0) return everyDevice;
  if (checks.length === 1) return checks[0]!;
  return (id, labels) => checks.every((c) => c(id, labels));
}

export function matchesSelector(sel: Selector | undefined, id: string, labels: Labels): boolean {
  return compileSelector(sel)(id, labels);
}

/** True when the selector has no condition at all (selects every device). */
export function selectsEverything(sel: Selector | undefined): boolean {
  return !sel || (!sel.ids?.length && !Object.keys(sel.labels ?? {}).length && !sel.match?.length);
}

// JSON exactly as ops-meta's Go code wrote and read it (encoding/json). Pure.
//   encode: compact, struct fields in declaration order (the caller builds objects in that order),
//           `<`, `>`, `&`, U+2028 and U+2029 escaped as \u003c… (json.Marshal's HTML escaping),
//           map keys sorted; no trailing newline.
//   decode: json.NewDecoder(body).Decode(&v): the first JSON value of the body is read, anything
//           after it ignored; object keys match struct fields case-insensitively.

export function goJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && v instanceof GoMap) {
      const out: Record<string, unknown> = {};
      for (const k of [...v.entries.keys()].sort(goStringCompare)) out[k] = v.entries.get(k);
      return out;
    }
    return v;
  }).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A Go map: encoded with its keys sorted (byte order), as json.Marshal does. */
export class GoMap {
  constructor(readonly entries: Map<string, unknown>) {}
}

/** Go compares strings by bytes (UTF-8), which is code point order, not UTF-16 order. */
function goStringCompare(a: string, b: string): number {
  const ba = Buffer.from(a);
  const bb = Buffer.from(b);
  return Buffer.compare(ba, bb);
}

/**
 * The first JSON value in `text` as Decoder.Decode sees it; `undefined` when there is none or it
 * is malformed (Go answers an error either way).
 */
export function decodeFirstValue(text: string): { value: unknown } | undefined {
  // fast path: the whole body is one JSON value (what every updater sends)
  try {
    return { value: JSON.parse(text) };
  } catch {
    /* empty, malformed, or followed by more data: scan for the end of the first value */
  }
  let i = 0;
  const n = text.length;
  while (i < n && ' \t\r\n'.includes(text[i]!)) i++;
  if (i >= n) return undefined;
  const start = i;
  const first = text[i]!;
  if (first === '{' || first === '[') {
    let depth = 0;
    let inString = false;
    for (; i < n; i++) {
      const c = text[i]!;
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        depth--;
        if (depth === 0) {
          i++;
          break;
        }
      }
    }
    if (depth !== 0) return undefined;
  } else if (first === '"') {
    for (i++; i < n; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === '"') {
        i++;
        break;
      }
    }
  } else {
    while (i < n && /[-+.0-9a-zA-Z]/.test(text[i]!)) i++;
  }
  try {
    return { value: JSON.parse(text.slice(start, i)) };
  } catch {
    return undefined;
  }
}

/** A struct field as encoding/json finds it: the exact key, else a case-insensitive match (last one wins). */
export function goField(obj: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  let found: unknown;
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) found = obj[k];
  return found;
}

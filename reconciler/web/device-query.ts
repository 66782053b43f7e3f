// The dashboard's device table query: search, label and condition filters, a sort and an
// offset page over every device id meta knows. Only the page's rows are summarized; filtering and
// sorting look at cheap per-device keys, so a page of 100,000 devices costs milliseconds.

export type SortKey = 'id' | 'hostname' | 'condition' | 'lastSeen';
export const SORT_KEYS: readonly SortKey[] = ['id', 'hostname', 'condition', 'lastSeen'];
const CONDITION_ORDER: Record<string, number> = { Failed: 0, Offline: 1, Progressing: 2, InSync: 3 };

export interface DeviceQuery {
  /** Case-insensitive substring of the id or hostname. */
  q: string;
  labels: [string, string][];
  conditions: string[];
  sort: SortKey;
  desc: boolean;
  offset: number;
  limit: number;
}

/** What filtering and sorting need to know about a device, by id (no object per device). */
export interface DeviceKeys {
  hostname(id: string): string | null;
  condition(id: string): string;
  /** Epoch ms; null when never seen. */
  lastSeen(id: string): number | null;
  labels(id: string): Readonly<Record<string, string>>;
}

export const MAX_PAGE = 500;

/** `label=k=v` filters (repeated, or comma-separated) as pairs; a message for bad input. Shared with GET /v1/devices. */
export function parseLabelFilter(raw: string | string[] | undefined): [string, string][] | string {
  const items = raw === undefined ? [] : (Array.isArray(raw) ? raw : [raw]).flatMap((s) => s.split(','));
  const out: [string, string][] = [];
  for (const item of items) {
    if (!item.trim()) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return `label filter "${item}" must be key=value`;
    out.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
  }
  return out;
}

/** Parses the query string; returns a message for bad input. */
export function parseDeviceQuery(raw: Record<string, string | string[] | undefined>, knownConditions: readonly string[]): DeviceQuery | string {
  const one = (k: string): string | undefined => {
    const v = raw[k];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const labels = parseLabelFilter(raw.label);
  if (typeof labels === 'string') return labels;
  const conditions = (one('condition') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const bad = conditions.find((c) => !knownConditions.includes(c));
  if (bad) return `condition "${bad}" is not one of ${knownConditions.join(', ')}`;
  const sortRaw = one('sort') ?? 'id';
  const desc = sortRaw.startsWith('-');
  const sort = sortRaw.replace(/^-/, '') as SortKey;
  if (!SORT_KEYS.includes(sort)) return `sort must be one of ${SORT_KEYS.join(', ')} (prefix - for descending)`;
  const offset = one('offset') === undefined ? 0 : Number(one('offset'));
  if (!Number.isInteger(offset) || offset < 0) return 'offset must be an integer >= 0';
  const limit = one('limit') === undefined ? 50 : Number(one('limit'));
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) return `limit must be an integer from 1 to ${MAX_PAGE}`;
  const q = (one('q') ?? '').trim().toLowerCase();
  if (q.length > 200) return 'q is longer than 200 characters';
  return { q, labels, conditions, sort, desc, offset, limit };
}

function matches(id: string, k: DeviceKeys, query: DeviceQuery): boolean {
  if (query.q && !id.toLowerCase().includes(query.q) && !(k.hostname(id) ?? '').toLowerCase().includes(query.q)) return false;
  if (query.conditions.length && !query.conditions.includes(k.condition(id))) return false;
  if (query.labels.length) {
    const l = k.labels(id);
    if (!query.labels.every(([key, v]) => l[key] === v)) return false;
  }
  return true;
}

/** Positions (in `sortedIds`) of the matching devices, in id order. */
function matching(sortedIds: readonly string[], k: DeviceKeys, query: DeviceQuery, filtering: boolean): Uint32Array {
  const out = new Uint32Array(sortedIds.length);
  let n = 0;
  for (let i = 0; i < sortedIds.length; i++) if (!filtering || matches(sortedIds[i]!, k, query)) out[n++] = i;
  return out.subarray(0, n);
}

/**
 * Sorts positions by a key, ties by id (the position: `sortedIds` is in id order). Conditions go
 * through buckets (linear); numbers and strings through a typed index sort, with plain code-unit
 * comparison of strings (locale-aware comparison is far too slow for 100,000 rows).
 */
function sortPositions(pos: Uint32Array, sortedIds: readonly string[], k: DeviceKeys, sort: Exclude<SortKey, 'id'>): Uint32Array {
  if (sort === 'condition') {
    const buckets: number[][] = [[], [], [], [], []];
    for (const p of pos) buckets[CONDITION_ORDER[k.condition(sortedIds[p]!)] ?? 4]!.push(p);
    return Uint32Array.from(buckets.flat());
  }
  if (sort === 'lastSeen') {
    const v = new Float64Array(sortedIds.length);
    for (const p of pos) v[p] = k.lastSeen(sortedIds[p]!) ?? -1;
    return pos.slice().sort((a, b) => v[a]! - v[b]! || a - b);
  }
  const h: string[] = new Array<string>(sortedIds.length);
  for (const p of pos) h[p] = (k.hostname(sortedIds[p]!) ?? '').toLowerCase();
  return pos.slice().sort((a, b) => {
    const x = h[a]!;
    const y = h[b]!;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
}

/** Every matching id in the query's order (without paging). */
export function orderDevices(sortedIds: readonly string[], keys: DeviceKeys, query: DeviceQuery): string[] {
  const filtering = query.q !== '' || query.labels.length > 0 || query.conditions.length > 0;
  let pos = matching(sortedIds, keys, query, filtering);
  if (query.sort !== 'id') pos = sortPositions(pos, sortedIds, keys, query.sort);
  const out = new Array<string>(pos.length);
  const n = pos.length;
  for (let i = 0; i < n; i++) out[i] = sortedIds[pos[query.desc ? n - 1 - i : i]!]!;
  return out;
}

/** True when the query needs a pass over every device (anything but the plain id order). */
export function needsPass(query: DeviceQuery): boolean {
  return query.sort !== 'id' || query.q !== '' || query.labels.length > 0 || query.conditions.length > 0;
}

/**
 * The page of ids matching the query, and how many match in all. `sortedIds` is every id in
 * ascending order; `keys` gives a device's filter and sort keys; `ordered` (from orderDevices)
 * may be passed when the caller kept it from an earlier page of the same query.
 */
export function queryDevices(sortedIds: readonly string[], keys: DeviceKeys, query: DeviceQuery, ordered?: readonly string[]): { total: number; ids: string[] } {
  const end = query.offset + query.limit;
  if (!needsPass(query)) {
    const n = sortedIds.length;
    const page = query.desc ? sortedIds.slice(Math.max(0, n - end), Math.max(0, n - query.offset)).reverse() : sortedIds.slice(query.offset, end);
    return { total: n, ids: page };
  }
  const all = ordered ?? orderDevices(sortedIds, keys, query);
  return { total: all.length, ids: all.slice(query.offset, end) };
}

/**
 * Keeps the ordered result of recent queries for a short time, so paging through a sorted or
 * filtered view of 100,000 devices, and every open dashboard refreshing it on live events, costs
 * one pass per `ttlMs`. Row contents are always fresh; only membership and order may lag.
 */
export class OrderCache {
  private entries = new Map<string, { at: number; ordered: string[] }>();

  constructor(
    private readonly ttlMs = 2000,
    private readonly max = 20,
    private readonly now: () => number = Date.now,
  ) {}

  get(sortedIds: readonly string[], keys: DeviceKeys, query: DeviceQuery, generation: string): string[] {
    const key = JSON.stringify([generation, query.q, query.labels, query.conditions, query.sort, query.desc]);
    const t = this.now();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return hit.ordered;
    const ordered = orderDevices(sortedIds, keys, query);
    this.entries.delete(key);
    this.entries.set(key, { at: t, ordered });
    for (const [k, e] of this.entries) if (this.entries.size > this.max || t - e.at >= this.ttlMs) this.entries.delete(k);
    return ordered;
  }
}

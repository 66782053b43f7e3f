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

/** What filtering and sorting need to know about one device. */
export interface DeviceKeys {
  id: string;
  hostname: string | null;
  condition: string;
  /** Epoch ms; null when never seen. */
  lastSeen: number | null;
  labels(): Readonly<Record<string, string>>;
}

export const MAX_PAGE = 500;

/** Parses the query string; returns a message for bad input. */
export function parseDeviceQuery(raw: Record<string, string | string[] | undefined>, knownConditions: readonly string[]): DeviceQuery | string {
  const one = (k: string): string | undefined => {
    const v = raw[k];
    return Array.isArray(v) ? v[v.length - 1] : v;
  };
  const labelItems = (raw.label === undefined ? [] : Array.isArray(raw.label) ? raw.label : [raw.label]).flatMap((s) => s.split(','));
  const labels: [string, string][] = [];
  for (const item of labelItems) {
    if (!item.trim()) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) return `label filter "${item}" must be key=value`;
    labels.push([item.slice(0, eq).trim(), item.slice(eq + 1).trim()]);
  }
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

function matches(k: DeviceKeys, query: DeviceQuery): boolean {
  if (query.q && !k.id.toLowerCase().includes(query.q) && !(k.hostname ?? '').toLowerCase().includes(query.q)) return false;
  if (query.conditions.length && !query.conditions.includes(k.condition)) return false;
  if (query.labels.length) {
    const l = k.labels();
    if (!query.labels.every(([key, v]) => l[key] === v)) return false;
  }
  return true;
}

function compare(sort: SortKey): (a: DeviceKeys, b: DeviceKeys) => number {
  const byId = (a: DeviceKeys, b: DeviceKeys): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  switch (sort) {
    case 'hostname':
      return (a, b) => (a.hostname ?? '').localeCompare(b.hostname ?? '') || byId(a, b);
    case 'condition':
      return (a, b) => (CONDITION_ORDER[a.condition] ?? 9) - (CONDITION_ORDER[b.condition] ?? 9) || byId(a, b);
    case 'lastSeen':
      return (a, b) => (a.lastSeen ?? -1) - (b.lastSeen ?? -1) || byId(a, b);
    default:
      return byId;
  }
}

/**
 * The page of ids matching the query, and how many match in all. `sortedIds` is every id in
 * ascending order; `keys` gives a device's filter and sort keys.
 */
export function queryDevices(sortedIds: readonly string[], keys: (id: string) => DeviceKeys, query: DeviceQuery): { total: number; ids: string[] } {
  const end = query.offset + query.limit;
  const filtering = query.q !== '' || query.labels.length > 0 || query.conditions.length > 0;
  if (query.sort === 'id') {
    if (!filtering) {
      const n = sortedIds.length;
      const page = query.desc
        ? sortedIds.slice(Math.max(0, n - end), Math.max(0, n - query.offset)).reverse()
        : sortedIds.slice(query.offset, end);
      return { total: n, ids: page };
    }
    const ids: string[] = [];
    let total = 0;
    const n = sortedIds.length;
    for (let i = 0; i < n; i++) {
      const id = sortedIds[query.desc ? n - 1 - i : i]!;
      if (!matches(keys(id), query)) continue;
      if (total >= query.offset && total < end) ids.push(id);
      total++;
    }
    return { total, ids };
  }
  const rows: DeviceKeys[] = [];
  for (const id of sortedIds) {
    const k = keys(id);
    if (!filtering || matches(k, query)) rows.push(k);
  }
  const cmp = compare(query.sort);
  rows.sort(query.desc ? (a, b) => cmp(b, a) : cmp);
  return { total: rows.length, ids: rows.slice(query.offset, end).map((k) => k.id) };
}

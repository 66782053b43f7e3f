// The devices a rollout released, as one structure: the persisted list (release order, never
// modified) and an index over it for membership, instead of a Set of the same ids beside the list.
// The index is an open-addressing table of positions in the list (Int32Array, at most 80% full):
// at 100,000 released devices about 5 B per device, where a Set entry costs about 26 B (8-byte
// pointers: key, chain link, bucket share, spare capacity). Pure but for the hash's seed.

/**
 * A seed of this process's own: where ids land in the table cannot be computed from outside, so
 * device ids chosen to collide cannot turn lookups into long probes.
 */
const SEED = globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;

/** FNV-1a over the id's UTF-16 code units from a random seed, then murmur3's finaliser (spreads sequential ids). */
function hashOf(s: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Table slots for `n` ids: a power of two, at most 80% used. */
function capacityFor(n: number): number {
  let cap = 8;
  while (cap * 0.8 < n) cap *= 2;
  return cap;
}

export class ReleasedIds implements ReadonlySet<string> {
  /** Position in `ids` + 1 of the id hashed to each slot (linear probing); 0: free. */
  private readonly table: Int32Array;
  private readonly mask: number;
  /** The distinct ids in first-release order: the list itself unless it repeats an id. */
  private readonly ids: readonly string[];
  readonly size: number;

  /** `list`: the released ids in release order, kept (not copied) and never modified. */
  constructor(readonly list: readonly string[]) {
    this.table = new Int32Array(capacityFor(list.length));
    this.mask = this.table.length - 1;
    let distinct: string[] | null = null;
    for (let i = 0; i < list.length; i++) {
      const id = list[i]!;
      if (this.insert(id, i + 1)) distinct?.push(id);
      else distinct ??= list.slice(0, i);
    }
    this.ids = distinct ?? list;
    this.size = this.ids.length;
  }

  /** Adds position `pos` (1-based) for `id` unless the id is there already; whether it was added. */
  private insert(id: string, pos: number): boolean {
    const { table, mask, list } = this;
    for (let h = hashOf(id) & mask; ; h = (h + 1) & mask) {
      const p = table[h]!;
      if (p === 0) {
        table[h] = pos;
        return true;
      }
      if (list[p - 1] === id) return false;
    }
  }

  has(id: string): boolean {
    const { table, mask, list } = this;
    for (let h = hashOf(id) & mask; ; h = (h + 1) & mask) {
      const p = table[h]!;
      if (p === 0) return false;
      if (list[p - 1] === id) return true;
    }
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.ids.values();
  }

  values(): SetIterator<string> {
    return this.ids.values();
  }

  keys(): SetIterator<string> {
    return this.ids.values();
  }

  *entries(): SetIterator<[string, string]> {
    for (const id of this.ids) yield [id, id];
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const id of this.ids) fn.call(thisArg, id, id, this);
  }
}

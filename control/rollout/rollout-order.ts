// The order in which a rollout releases devices: stable (the same on every meta and after a
// restart) and spread (the first step is not always dev-001), from a seeded hash of each id. Pure.
import { createHash } from 'node:crypto';

/** A 53-bit string hash (cyrb53), seeded: fast, and the same on every machine. */
function hash53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A device's place in a rollout's order (ties broken by id): a hash of (key, id). */
export function rolloutRank(key: string): (id: string) => number {
  const seed = parseInt(createHash('sha256').update(key).digest('hex').slice(0, 8), 16);
  return (id) => hash53(id, seed);
}

/** Stable, spread order of devices for a rollout: by a hash of (key, id), ties by id. */
export function rolloutOrder(key: string, ids: Iterable<string>): string[] {
  const rank = rolloutRank(key);
  const list = [...ids];
  const h = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) h[i] = rank(list[i]!);
  const idx = new Uint32Array(list.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  idx.sort((a, b) => h[a]! - h[b]! || (list[a]! < list[b]! ? -1 : list[a]! > list[b]! ? 1 : 0));
  // Built at its exact length (the gate keeps one order per rollout: no spare capacity per device).
  const order = new Array<string>(idx.length);
  for (let i = 0; i < idx.length; i++) order[i] = list[idx[i]!]!;
  return order;
}

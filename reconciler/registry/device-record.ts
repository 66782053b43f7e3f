// One device as meta keeps it in memory: compact (shared label maps and etag strings, reports kept
// as their JSON text) so a million idle devices fit in well under a gigabyte.
import type { DesiredEntry, DesiredSlot } from '../desired/desired-state.js';
import type { BaselineSlot } from '../rollouts/package-baselines.js';
import type { Baseline } from '../rollouts/rollout-store.js';
import type { DeviceConditionResult } from '../status/device-condition.js';
import type { StoredDevice } from '../store/store.js';

/**
 * The times of every record (first seen, last seen, condition since: epoch ms), three doubles per
 * record in chunks that never move, found by the record's `slot`. A time in a field of its own is a
 * heap number per device (an 8 B field and a 16 B number: epoch milliseconds are no small integer);
 * here it is 8 B. Records are never dropped (a device stays known), so slots are not reused.
 */
const CHUNK_BITS = 10;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
const TIMES = 3;
const FIRST_SEEN = 0;
const LAST_SEEN = 1;
const SINCE = 2;
const timeChunks: Float64Array[] = [];
let slots = 0;

function takeSlot(): number {
  const slot = slots++;
  if ((slot & CHUNK_MASK) === 0) timeChunks.push(new Float64Array((CHUNK_MASK + 1) * TIMES));
  return slot;
}

export class DeviceRecord implements StoredDevice, DesiredSlot, BaselineSlot {
  /** Where the record's times are (see timeChunks). */
  private readonly slot = takeSlot();
  id: string;
  hostname: string | null = null;
  reportedLabels: Readonly<Record<string, string>> = {};
  facts = '{}';
  etag: string | null = null;
  appliedEtag: string | null = null;
  packages = '[]';
  commands = '[]';
  /** Last recorded condition and reason (what condition_history last got). */
  condition: string | null = null;
  reason: string | null = null;
  /** The condition apart from Offline, valid while the desired etag equals `baseEtag`. */
  base: DeviceConditionResult | null = null;
  baseEtag: string | null = null;
  /**
   * 63 bits of the hash of the last heartbeat's raw body (two small integers, no string per device;
   * bodyHashHi -1: none): the same bytes again change nothing but the time. See body-hash.ts.
   */
  bodyHashHi = -1;
  bodyHashLo = 0;
  /**
   * How long before lastSeen the record was last queued for the store (ms; 0: lastSeen is queued).
   * Kept relative to lastSeen so it stays a small integer (below a minute: see the registry), not
   * a boxed number per device as an epoch time would be.
   */
  unqueuedMs = 0;
  /** The device's desired entry as DesiredState cached it (not stored). */
  desired: DesiredEntry | null = null;
  /** The package baselines the rollout gate keeps for the device (not stored here: the store has its own rows). */
  baselines: Baseline | readonly Baseline[] | null = null;

  constructor(id: string, now: number) {
    this.id = id;
    this.firstSeen = now;
    this.lastSeen = now;
  }

  /** Epoch ms of the first heartbeat. */
  get firstSeen(): number {
    return timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + FIRST_SEEN]!;
  }

  set firstSeen(at: number) {
    timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + FIRST_SEEN] = at;
  }

  /** Epoch ms of the last heartbeat. */
  get lastSeen(): number {
    return timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + LAST_SEEN]!;
  }

  set lastSeen(at: number) {
    timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + LAST_SEEN] = at;
  }

  /** When `condition` last changed (epoch ms; 0: not yet). */
  get since(): number {
    return timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + SINCE]!;
  }

  set since(at: number) {
    timeChunks[this.slot >> CHUNK_BITS]![(this.slot & CHUNK_MASK) * TIMES + SINCE] = at;
  }

  /** The record as a plain row (own properties only: the times live outside the object). */
  toStored(): StoredDevice {
    return {
      id: this.id, hostname: this.hostname, reportedLabels: this.reportedLabels, facts: this.facts, firstSeen: this.firstSeen, lastSeen: this.lastSeen,
      etag: this.etag, appliedEtag: this.appliedEtag, packages: this.packages, commands: this.commands, condition: this.condition, reason: this.reason,
    };
  }

  static fromStored(s: StoredDevice): DeviceRecord {
    const { id, firstSeen, ...stored } = s;
    // The same properties, in the same order, as a record built by the constructor.
    return Object.assign(new DeviceRecord(id, firstSeen), stored, { since: s.lastSeen });
  }
}

/** The `updater` fact the Open-Falcon heartbeat route records (kept here so status code needs no legacy import). */
export const LEGACY_UPDATER_FACT = 'open-falcon-ops-updater';

/** The device reports through Open-Falcon's ops-updater (POST /heartbeat). */
export function isLegacyRecord(record: Pick<DeviceRecord, 'facts'>): boolean {
  return record.facts.includes(`"updater":"${LEGACY_UPDATER_FACT}"`);
}

// One device as meta keeps it in memory: compact (shared label maps and etag strings, reports kept
// as their JSON text) so a million idle devices fit in well under a gigabyte.
import type { DesiredEntry, DesiredSlot } from '../desired/desired-state.js';
import type { BaselineSlot } from '../rollouts/package-baselines.js';
import type { Baseline } from '../rollouts/rollout-store.js';
import type { DeviceConditionResult } from '../status/device-condition.js';
import type { StoredDevice } from '../store/store.js';

export class DeviceRecord implements StoredDevice, DesiredSlot, BaselineSlot {
  id: string;
  hostname: string | null = null;
  reportedLabels: Readonly<Record<string, string>> = {};
  facts = '{}';
  firstSeen: number;
  lastSeen: number;
  etag: string | null = null;
  appliedEtag: string | null = null;
  packages = '[]';
  commands = '[]';
  /** Last recorded condition and reason (what condition_history last got). */
  condition: string | null = null;
  reason: string | null = null;
  /** When `condition` last changed (epoch ms). */
  since = 0;
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

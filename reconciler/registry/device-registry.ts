// Every device meta has heard from, in memory, persisted through the store. A heartbeat updates
// its record and queues it for the next batch write; nothing here waits on the disk.
import { hiOf, loOf } from './body-hash.js';
import { commandSummaryJson, reportedCommands } from './report-view.js';
import type { CommandReport, HeartbeatRequest } from '../../specs/wire/heartbeat.js';
import type { CommandResultRow, Store } from '../store/store.js';
import { DeviceRecord } from './device-record.js';
import { RejectedHostnames } from './rejected-hostnames.js';

const INTERN_LIMIT = 100_000;
/** A heartbeat that changes nothing but the time is written at most this often per device. */
const IDLE_WRITE_INTERVAL_MS = 60_000;
/** The least `unqueuedMs` kept (a clock turned back by more): a small integer, never a boxed number. */
const MIN_UNQUEUED_MS = -(2 ** 30);

/**
 * After an idle report at `now` of a record last queued at `queuedAt`: null when the time is due for
 * writing (queued now: `unqueuedMs` 0), else the record's `unqueuedMs` (how long it is unwritten).
 */
export function idleUnqueued(now: number, queuedAt: number): number | null {
  const since = now - queuedAt;
  if (since >= IDLE_WRITE_INTERVAL_MS) return null;
  return since < 0 ? Math.max(since, MIN_UNQUEUED_MS) : since;
}

export interface ObserveResult {
  record: DeviceRecord;
  created: boolean;
  labelsChanged: boolean;
  /** The reported packages differ from the device's previous report (always true for a new device). */
  packagesChanged: boolean;
  /** The command results that changed since the last report (already queued for the store). */
  changedCommands: CommandReport[];
  /**
   * The report changed state (a new device, labels, hostname, etags, a package or command status):
   * it must be committed to the store before it is acknowledged. Facts alone, or only the time, may
   * wait for the next batch.
   */
  stateChanged: boolean;
}

/** What a device written by another meta changed here (DeviceRegistry.applyRemote). */
export interface RemoteChange {
  record: DeviceRecord;
  created: boolean;
  labelsChanged: boolean;
  packagesChanged: boolean;
  commandsChanged: boolean;
}

/** Called after each observe() with its result and the report it recorded. */
export type ObserveListener = (result: ObserveResult, report: HeartbeatRequest) => void;

export class DeviceRegistry {
  private devices = new Map<string, DeviceRecord>();
  /** Moves whenever a device is added (what caches of the id set compare). */
  private added = 0;
  private labelIntern = new Map<string, Readonly<Record<string, string>>>();
  private stringIntern = new Map<string, string>();
  private observeListeners: ObserveListener[] = [];
  /** Open-Falcon hostnames answered but not recorded: they cannot be device ids. */
  readonly rejected = new RejectedHostnames();
  private remoteListeners: ((change: RemoteChange) => void)[] = [];
  private seenListeners: ((record: DeviceRecord) => void)[] = [];
  /** Devices whose last state-changing report was not committed: their next report must be. */
  private uncommitted = new Set<string>();

  constructor(private readonly store: Store) {}

  get size(): number {
    return this.devices.size;
  }

  get(id: string): DeviceRecord | undefined {
    return this.devices.get(id);
  }

  values(): IterableIterator<DeviceRecord> {
    return this.devices.values();
  }

  /** Moves whenever a device is added (never when one changes). */
  get idsVersion(): number {
    return this.added;
  }

  ids(): IterableIterator<string> {
    return this.devices.keys();
  }

  /** Ids in ascending order (a new array each call: KnownDevices keeps the one sorted copy). */
  sortedIds(): string[] {
    return [...this.devices.keys()].sort();
  }

  /** Restores devices from the store (at start). */
  load(rows: Iterable<import('../store/store.js').StoredDevice>): number {
    let n = 0;
    for (const row of rows) {
      const r = DeviceRecord.fromStored(row);
      r.reportedLabels = this.internLabels(row.reportedLabels);
      if (r.hostname === r.id) r.hostname = r.id;
      r.etag = this.internString(row.etag);
      r.appliedEtag = this.internString(row.appliedEtag);
      this.devices.set(r.id, r);
      n++;
    }
    this.added++;
    return n;
  }

  /**
   * A device as another meta sharing the store wrote it. Applied unless this meta heard from the
   * device more recently; never queued for writing again. Returns what changed, or null.
   */
  applyRemote(row: import('../store/store.js').StoredDevice, now: number): RemoteChange | null {
    let record = this.devices.get(row.id);
    if (record && record.lastSeen > row.lastSeen) return null;
    const created = !record;
    if (!record) {
      record = new DeviceRecord(row.id, row.firstSeen);
      this.devices.set(row.id, record);
      this.added++;
    }
    const queuedAt = created ? 0 : record.lastSeen - record.unqueuedMs;
    const labels = this.internLabels(row.reportedLabels);
    const change: RemoteChange = {
      record, created,
      labelsChanged: !created && labels !== record.reportedLabels,
      packagesChanged: created || row.packages !== record.packages,
      commandsChanged: created ? row.commands !== '[]' : row.commands !== record.commands,
    };
    record.bodyHashHi = -1;
    record.reportedLabels = labels;
    record.hostname = row.hostname === row.id ? record.id : row.hostname;
    record.facts = row.facts;
    record.firstSeen = Math.min(record.firstSeen, row.firstSeen);
    record.lastSeen = row.lastSeen;
    record.etag = this.internString(row.etag);
    record.appliedEtag = this.internString(row.appliedEtag);
    record.packages = row.packages;
    record.commands = row.commands;
    // A condition recorded with a report changed at that report's time (what the writer's `since` is).
    if (row.condition !== record.condition || row.reason !== record.reason) record.since = Math.min(now, row.lastSeen);
    record.condition = row.condition;
    record.reason = row.reason;
    record.base = null;
    record.unqueuedMs = Math.max(row.lastSeen - Math.max(queuedAt, row.lastSeen), MIN_UNQUEUED_MS);
    for (const listener of this.remoteListeners) listener(change);
    return change;
  }

  private internString(s: string | null): string | null {
    if (s === null) return null;
    const found = this.stringIntern.get(s);
    if (found !== undefined) return found;
    if (this.stringIntern.size < INTERN_LIMIT) this.stringIntern.set(s, s);
    return s;
  }

  private internLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
    const key = JSON.stringify(labels);
    const found = this.labelIntern.get(key);
    if (found) return found;
    const frozen = Object.freeze({ ...labels });
    if (this.labelIntern.size < INTERN_LIMIT) this.labelIntern.set(key, frozen);
    return frozen;
  }

  /** Queues every device whose last idle heartbeat was not written yet (at shutdown). */
  queueUnwritten(): number {
    let n = 0;
    for (const r of this.devices.values()) {
      if (r.unqueuedMs > 0) {
        r.unqueuedMs = 0;
        this.store.putLastSeen(r.id, r.lastSeen);
        n++;
      }
    }
    return n;
  }

  /**
   * Device `id`, when its last heartbeat had exactly this raw body (by `digest`, binary-encoded).
   * `id` may be a guess read off the raw body: a wrong guess finds no device, or one whose last
   * body hashed otherwise. `record`: the caller's own lookup of `id`, if it made one.
   */
  sameBody(id: string, digest: string, record: DeviceRecord | undefined = this.devices.get(id)): DeviceRecord | undefined {
    return record !== undefined && record.bodyHashHi === hiOf(digest) && record.bodyHashLo === loOf(digest) ? record : undefined;
  }

  /** The store did not commit this device's state-changing report: its next report commits again. */
  commitFailed(record: DeviceRecord): void {
    this.uncommitted.add(record.id);
  }

  /** Remembers the raw-body digest (binary-encoded) of the heartbeat just observed for this device. */
  rememberBody(record: DeviceRecord, digest: string): void {
    record.bodyHashHi = hiOf(digest);
    record.bodyHashLo = loOf(digest);
  }

  /** A heartbeat byte-identical to the device's previous one: only the time moves. */
  touch(record: DeviceRecord, now: number): void {
    const unqueued = idleUnqueued(now, record.lastSeen - record.unqueuedMs);
    record.lastSeen = now;
    if (unqueued === null) {
      record.unqueuedMs = 0;
      this.store.putLastSeen(record.id, now);
    } else record.unqueuedMs = unqueued;
    for (const listener of this.seenListeners) listener(record);
  }

  /** Calls the listener after every recorded heartbeat, idle (touch) or not (observe). */
  onSeen(listener: (record: DeviceRecord) => void): () => void {
    this.seenListeners = [...this.seenListeners, listener];
    return () => {
      this.seenListeners = this.seenListeners.filter((l) => l !== listener);
    };
  }

  /**
   * Calls the listener after every observe() (not after touch(): an idle heartbeat changes nothing
   * but the time). Listeners run synchronously, in subscription order; returns the unsubscribe.
   */
  onObserve(listener: ObserveListener): () => void {
    this.observeListeners = [...this.observeListeners, listener];
    return () => {
      this.observeListeners = this.observeListeners.filter((l) => l !== listener);
    };
  }

  /** Calls the listener after every applyRemote() that changed a device; returns the unsubscribe. */
  onRemote(listener: (change: RemoteChange) => void): () => void {
    this.remoteListeners = [...this.remoteListeners, listener];
    return () => {
      this.remoteListeners = this.remoteListeners.filter((l) => l !== listener);
    };
  }

  /** Records a heartbeat. */
  observe(hb: HeartbeatRequest, now: number): ObserveResult {
    const id = hb.device.id;
    let record = this.devices.get(id);
    const created = !record;
    // When the device was last queued for the store (a new one: never).
    const queuedAt = record ? record.lastSeen - record.unqueuedMs : 0;
    // The caller remembers the new body's hash (rememberBody) once it is recorded.
    if (record) record.bodyHashHi = -1;
    else {
      record = new DeviceRecord(id, now);
      this.devices.set(id, record);
      this.added++;
    }
    const labels = this.internLabels(hb.device.labels);
    const labelsChanged = labels !== record.reportedLabels;
    let changed = created || labelsChanged;
    let stateChanged = changed || (this.uncommitted.size > 0 && this.uncommitted.delete(id));
    record.reportedLabels = labels;
    // Most devices are named by their hostname: one string for both.
    const hostname = hb.device.hostname === id ? record.id : (hb.device.hostname ?? null);
    if (hostname !== record.hostname) {
      record.hostname = hostname;
      changed = stateChanged = true;
    }
    record.lastSeen = now;
    const etag = this.internString(hb.etag);
    const appliedEtag = this.internString(hb.appliedEtag);
    if (etag !== record.etag || appliedEtag !== record.appliedEtag) {
      record.etag = etag;
      record.appliedEtag = appliedEtag;
      record.base = null;
      changed = stateChanged = true;
    }
    const facts = JSON.stringify(hb.device.facts);
    if (facts !== record.facts) {
      record.facts = facts;
      changed = true;
    }
    const packages = JSON.stringify(hb.packages);
    const packagesChanged = created || packages !== record.packages;
    if (packages !== record.packages) {
      record.packages = packages;
      record.base = null;
      changed = stateChanged = true;
    }
    let changedCommands: CommandReport[] = [];
    const summary = commandSummaryJson(hb.commands);
    if (summary !== record.commands) {
      const before = new Map<string, string>();
      for (const c of reportedCommands(record.commands)) {
        before.set(c.id, `${c.status}|${c.exitCode ?? ''}|${c.finishedAt ?? ''}`);
      }
      changedCommands = hb.commands.filter((c) => before.get(c.id) !== `${c.status}|${c.exitCode ?? ''}|${c.finishedAt ?? ''}`);
      record.commands = summary;
      record.base = null;
      changed = stateChanged = true;
      if (changedCommands.length) this.store.putCommandResults(changedCommands.map((c) => commandRow(id, c, now)));
    }
    // An idle heartbeat (only the time moved) is persisted at most once a minute per device, and as
    // the time alone: after a restart, last seen may lag by that much; a change is written whole in
    // the next batch.
    if (changed) {
      record.unqueuedMs = 0;
      this.store.putDevice(record);
    } else {
      const unqueued = idleUnqueued(now, queuedAt);
      if (unqueued === null) {
        record.unqueuedMs = 0;
        this.store.putLastSeen(id, now);
      } else record.unqueuedMs = unqueued;
    }
    const result: ObserveResult = { record, created, labelsChanged, packagesChanged, changedCommands, stateChanged };
    for (const listener of this.observeListeners) listener(result, hb);
    for (const listener of this.seenListeners) listener(record);
    return result;
  }
}

export function commandRow(deviceId: string, c: CommandReport, now: number): CommandResultRow {
  return {
    deviceId,
    commandId: c.id,
    name: c.name,
    status: c.status,
    exitCode: c.exitCode ?? null,
    signal: c.signal ?? null,
    startedAt: c.startedAt ?? null,
    finishedAt: c.finishedAt ?? null,
    durationMs: c.durationMs ?? null,
    outputTail: c.outputTail ?? null,
    truncated: c.truncated ?? false,
    reportedAt: now,
  };
}

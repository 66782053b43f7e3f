// Every device meta has heard from, in memory, persisted through the store. A heartbeat updates
// its record and queues it for the next batch write; nothing here waits on the disk.
import type { CommandReport, HeartbeatRequest } from '../../specs/wire/heartbeat.js';
import type { CommandResultRow, Store } from '../store/store.js';
import { DeviceRecord } from './device-record.js';

const INTERN_LIMIT = 100_000;

export interface ObserveResult {
  record: DeviceRecord;
  created: boolean;
  labelsChanged: boolean;
  /** The command results that changed since the last report (already queued for the store). */
  changedCommands: CommandReport[];
}

export class DeviceRegistry {
  private devices = new Map<string, DeviceRecord>();
  private sorted: string[] | null = null;
  private labelIntern = new Map<string, Readonly<Record<string, string>>>();
  private stringIntern = new Map<string, string>();

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

  /** Ids in ascending order (cached until a device is added). */
  sortedIds(): readonly string[] {
    if (!this.sorted) this.sorted = [...this.devices.keys()].sort();
    return this.sorted;
  }

  /** Restores devices from the store (at start). */
  load(rows: Iterable<import('../store/store.js').StoredDevice>): number {
    let n = 0;
    for (const row of rows) {
      const r = DeviceRecord.fromStored(row);
      r.reportedLabels = this.internLabels(row.reportedLabels);
      r.etag = this.internString(row.etag);
      r.appliedEtag = this.internString(row.appliedEtag);
      this.devices.set(r.id, r);
      n++;
    }
    this.sorted = null;
    return n;
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

  /** Records a heartbeat. */
  observe(hb: HeartbeatRequest, now: number): ObserveResult {
    const id = hb.device.id;
    let record = this.devices.get(id);
    const created = !record;
    if (!record) {
      record = new DeviceRecord(id, now);
      this.devices.set(id, record);
      this.sorted = null;
    }
    const labels = this.internLabels(hb.device.labels);
    const labelsChanged = labels !== record.reportedLabels;
    record.reportedLabels = labels;
    record.hostname = hb.device.hostname ?? null;
    record.lastSeen = now;
    const etag = this.internString(hb.etag);
    const appliedEtag = this.internString(hb.appliedEtag);
    if (etag !== record.etag || appliedEtag !== record.appliedEtag) {
      record.etag = etag;
      record.appliedEtag = appliedEtag;
      record.base = null;
    }
    const facts = JSON.stringify(hb.device.facts);
    if (facts !== record.facts) record.facts = facts;
    const packages = JSON.stringify(hb.packages);
    if (packages !== record.packages) {
      record.packages = packages;
      record.base = null;
    }
    let changedCommands: CommandReport[] = [];
    const summary = JSON.stringify(hb.commands.map((c) => ({ id: c.id, name: c.name, status: c.status, exitCode: c.exitCode ?? null, finishedAt: c.finishedAt ?? null })));
    if (summary !== record.commands) {
      const before = new Map<string, string>();
      for (const c of JSON.parse(record.commands) as { id: string; status: string; finishedAt?: string | null; exitCode?: number | null }[]) {
        before.set(c.id, `${c.status}|${c.exitCode ?? ''}|${c.finishedAt ?? ''}`);
      }
      changedCommands = hb.commands.filter((c) => before.get(c.id) !== `${c.status}|${c.exitCode ?? ''}|${c.finishedAt ?? ''}`);
      record.commands = summary;
      record.base = null;
      if (changedCommands.length) this.store.putCommandResults(changedCommands.map((c) => commandRow(id, c, now)));
    }
    this.store.putDevice(record);
    return { record, created, labelsChanged, changedCommands };
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

// Keeps each device's condition current: evaluated at every heartbeat and by a periodic sweep
// (which is what notices a device going Offline); every change is appended to the history.
import { reportedCommands, reportedPackages, type CommandSummaryEntry } from '../registry/report-view.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DesiredState } from '../desired/desired-state.js';
import { isLegacyRecord, type DeviceRecord } from '../registry/device-record.js';
import type { DeviceRegistry } from '../registry/device-registry.js';
import type { Store } from '../store/store.js';
import {
  CONDITIONS, isOffline, offlineCondition, onlineCondition,
  type ConditionName, type ConditionSettings, type DeviceConditionResult,
} from './device-condition.js';

const SWEEP_CHUNK = 10_000;

export class ConditionTracker {
  private shared = new Map<string, DeviceConditionResult>();
  private countsCache: { at: number; counts: Record<ConditionName, number> } | null = null;
  private listeners: ((deviceId: string, result: DeviceConditionResult, previous: string | null) => void)[] = [];

  constructor(
    private readonly desired: DesiredState,
    private readonly registry: DeviceRegistry,
    private readonly store: Store,
  ) {}

  private override: ((id: string) => DeviceConditionResult | null) | null = null;

  /** A condition that wins over what the device reports (Revoked), or null. */
  setOverride(fn: (id: string) => DeviceConditionResult | null): void {
    this.override = fn;
    this.countsCache = null;
  }

  settings(): ConditionSettings {
    const c = this.desired.compiled;
    return { heartbeatMs: c?.heartbeatMs ?? 240_000, offlineAfter: c?.spec.fleet.offlineAfter ?? 3 };
  }

  /** Called on every recorded condition change (dashboards, rollouts). */
  onChange(listener: (deviceId: string, result: DeviceConditionResult, previous: string | null) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private intern(r: DeviceConditionResult): DeviceConditionResult {
    const key = `${r.condition}|${r.reason}|${r.message}`;
    const found = this.shared.get(key);
    if (found) return found;
    if (this.shared.size < 10_000) this.shared.set(key, r);
    return r;
  }

  /** The device's condition now; `parsed` saves re-reading the report's JSON at heartbeat time. */
  evaluate(record: DeviceRecord, now: number, parsed?: { packages: readonly PackageReport[]; commands: readonly CommandSummaryEntry[] }): DeviceConditionResult {
    const over = this.override?.(record.id);
    if (over) return this.intern(over);
    const s = this.settings();
    if (isOffline(record.lastSeen, now, s)) return offlineCondition(record.lastSeen, now, s);
    const entry = this.desired.get(record.id, record);
    const etag = entry?.etag ?? null;
    if (!record.base || record.baseEtag !== etag) {
      const observed = {
        lastSeen: record.lastSeen,
        etag: record.etag,
        appliedEtag: record.appliedEtag,
        packages: parsed?.packages ?? reportedPackages(record.packages),
        commands: parsed?.commands ?? reportedCommands(record.commands),
        legacy: isLegacyRecord(record),
      };
      record.base = this.intern(onlineCondition(entry, observed));
      record.baseEtag = etag;
    }
    return record.base;
  }

  /** Evaluates and records a change in the history. */
  track(record: DeviceRecord, now: number, parsed?: { packages: readonly PackageReport[]; commands: readonly CommandSummaryEntry[] }): DeviceConditionResult {
    const result = this.evaluate(record, now, parsed);
    if (result.condition !== record.condition || result.reason !== record.reason) {
      const previous = record.condition;
      record.condition = result.condition;
      record.reason = result.reason;
      record.since = now;
      this.store.putConditionChange({ deviceId: record.id, at: now, condition: result.condition, reason: result.reason, message: result.message });
      this.store.putDevice(record);
      this.countsCache = null;
      for (const l of this.listeners) l(record.id, result, previous);
    }
    return result;
  }

  /** Re-evaluates every device (in chunks, yielding to the event loop). */
  async sweep(now: number): Promise<void> {
    let i = 0;
    for (const record of this.registry.values()) {
      this.track(record, now);
      if (++i % SWEEP_CHUNK === 0) await new Promise((r) => setImmediate(r));
    }
  }

  /** Devices per condition (declared devices never seen count as Offline); cached for a second. */
  counts(now: number): Record<ConditionName, number> {
    if (this.countsCache && now - this.countsCache.at < 1000) return this.countsCache.counts;
    const counts = Object.fromEntries(CONDITIONS.map((c) => [c, 0])) as Record<ConditionName, number>;
    for (const record of this.registry.values()) counts[this.evaluate(record, now).condition]++;
    for (const id of this.desired.declaredDevices()) if (!this.registry.get(id)) counts.Offline++;
    this.countsCache = { at: now, counts };
    return counts;
  }
}

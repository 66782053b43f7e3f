// Reads how each device is doing with a rollout's subject from the reports meta holds (as JSON
// text per device), parsed when asked: the gate asks again only for devices that reported (its
// standings are kept between evaluations), so no parsed copy of a report is kept per device. Keeps what must outlive a
// report: finished command outcomes (agents stop reporting commands no longer desired) and the
// package report that made a device fail (the next report may be mid-rollback).
import { reportedCommands, reportedPackages } from '../registry/report-view.js';
import type { PackageReport } from '../../specs/wire/heartbeat.js';
import type { DeviceOutcome } from '../../control/rollout/plan-rollout.js';
import { commandOutcome, commandStatusIn, packageOutcome } from '../../control/rollout/rollout-outcomes.js';
import type { RolloutSubject } from '../../control/rollout/rollout-subjects.js';

const FINISHED: ReadonlySet<DeviceOutcome> = new Set(['succeeded', 'failed', 'timedOut']);

/**
 * The status of `identity` in a device's command summary JSON (`[{"id":…,"name":…,"status":…},…]`)
 * without parsing all of it: most summaries do not hold the identity at all. Falls back to parsing
 * when the text is not in the expected shape.
 */
export function statusInSummary(json: string, identity: string): string | undefined {
  const key = `"id":${JSON.stringify(identity)}`;
  const at = json.indexOf(key);
  if (at === -1) return json.includes(identity) ? commandStatusIn(reportedCommands(json), identity, '', false) : undefined;
  const end = json.indexOf('}', at);
  const s = json.indexOf('"status":"', at);
  if (s === -1 || (end !== -1 && s > end)) return commandStatusIn(reportedCommands(json), identity, '', false);
  const from = s + 10;
  return json.slice(from, json.indexOf('"', from));
}

export class OutcomeReader {
  /** Finished command outcomes per rollout key and device. */
  private finished = new Map<string, Map<string, DeviceOutcome>>();
  private packageFailures = new Map<string, Map<string, PackageReport>>();

  constructor(
    private readonly commandsJson: (id: string) => string | undefined,
    private readonly packagesJson: (id: string) => string | undefined,
  ) {}

  /** True once finished results of this rollout were loaded (or loading started). */
  hasFinished(key: string): boolean {
    return this.finished.has(key);
  }

  /** Adds finished results (from meta's store); newer reports win. Returns how many were new. */
  addFinished(key: string, rows: readonly { deviceId: string; status: string }[]): number {
    let map = this.finished.get(key);
    if (!map) this.finished.set(key, (map = new Map()));
    let added = 0;
    for (const row of rows) {
      const o = commandOutcome(row.status);
      if (o && FINISHED.has(o) && !map.has(row.deviceId)) {
        map.set(row.deviceId, o);
        added++;
      }
    }
    return added;
  }

  outcome(subject: RolloutSubject, id: string): DeviceOutcome | undefined {
    if (subject.kind === 'command') {
      const sticky = this.finished.get(subject.key);
      const json = this.commandsJson(id);
      if (!json || json === '[]') return sticky?.get(id);
      let status: string | undefined;
      if (!subject.perDeviceIdentity) {
        status = statusInSummary(json, subject.identity);
      } else status = commandStatusIn(reportedCommands(json), subject.identity, subject.name, true);
      const o = commandOutcome(status);
      if (o && FINISHED.has(o)) sticky?.set(id, o);
      return o ?? sticky?.get(id);
    }
    const json = this.packagesJson(id);
    if (!json) return undefined;
    const list = reportedPackages(json);
    const o = packageOutcome(list, subject.value);
    if (o === 'failed') {
      const report = list.find((p) => p.name === subject.name);
      let byDevice = this.packageFailures.get(subject.key);
      if (!byDevice) this.packageFailures.set(subject.key, (byDevice = new Map()));
      if (report && (report.error || !byDevice.has(id))) byDevice.set(id, report);
    }
    return o;
  }

  /** The report that made a device fail a package rollout (the newest one with an error). */
  packageFailure(key: string, deviceId: string): PackageReport | undefined {
    return this.packageFailures.get(key)?.get(deviceId);
  }
}

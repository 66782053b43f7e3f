// Which desired commands to run now, from the journal. Pure.
// - never run (no record): run;
// - last record `started`: it is running (or the journal is about to say interrupted): wait;
// - `repeat: null` (once) and `onVersionChange` (the version is part of the identity): once per
//   identity, ever: a finished or interrupted identity never runs again;
// - `{ everyMs }`: again once the last finish (for an interrupted run: its start) is at least
//   everyMs old.
import type { DesiredCommand } from '../specs/wire/desired.js';
import type { JournalRecord } from './command-journal.js';

export type PlanRecord = Pick<JournalRecord, 'id' | 'event' | 'at' | 'startedAt' | 'finishedAt'>;

function lastById(records: Iterable<PlanRecord>): Map<string, PlanRecord> {
  const last = new Map<string, PlanRecord>();
  for (const r of records) last.set(r.id, r);
  return last;
}

/** When an `every` command is next due (epoch ms), or null when it is not a repeating one or is running. */
function dueAt(cmd: DesiredCommand, rec: PlanRecord | undefined): number | null {
  if (!rec) return Number.NEGATIVE_INFINITY;
  if (rec.event === 'started') return null;
  const every = cmd.repeat && 'everyMs' in cmd.repeat ? cmd.repeat.everyMs : null;
  if (every === null) return null;
  const from = rec.event === 'interrupted' ? (rec.startedAt ?? rec.at) : (rec.finishedAt ?? rec.at);
  const t = Date.parse(from);
  return Number.isNaN(t) ? Number.NEGATIVE_INFINITY : t + every;
}

/** Ids of the commands to start now, in desired order, each once. */
export function planCommands(desired: DesiredCommand[], records: Iterable<PlanRecord>, now: Date | number): string[] {
  const t = typeof now === 'number' ? now : now.getTime();
  const last = lastById(records);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const cmd of desired) {
    if (seen.has(cmd.id)) continue;
    seen.add(cmd.id);
    const due = dueAt(cmd, last.get(cmd.id));
    if (due !== null && due <= t) out.push(cmd.id);
  }
  return out;
}

/** Milliseconds until the next repeating command is due (0 if one is due now), or null if none repeats. */
export function nextCommandDueIn(desired: DesiredCommand[], records: Iterable<PlanRecord>, now: Date | number): number | null {
  const t = typeof now === 'number' ? now : now.getTime();
  const last = lastById(records);
  let next: number | null = null;
  for (const cmd of desired) {
    const due = dueAt(cmd, last.get(cmd.id));
    if (due === null) continue;
    const inMs = Math.max(0, due - t);
    next = next === null ? inMs : Math.min(next, inMs);
  }
  return next;
}

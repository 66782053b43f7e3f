// Condition history written once per transition, whichever metas noticed it: several metas on one
// database each evaluate a device's condition (at its heartbeats, through the change feed, in their
// Offline sweeps), so the same transition reaches the store once per meta, at slightly different
// times and in any order. A change is recorded only when neither of its neighbours in the device's
// history (the latest row at or before its time, the earliest after) is already the same condition
// and reason: the write is idempotent, keyed on the device and the transition. PostgreSQL
// serializes these writes on the device write lock (postgres-rows.ts).
import type { ConditionChange } from './store.js';

const COLUMNS = 'device_id, at, condition, reason, message';

/** SQLite, one row per run (each sees the rows written before it): `?` × 5 in column order. */
export const SQLITE_INSERT_CONDITION = `INSERT INTO condition_history (${COLUMNS})
SELECT v.device_id, v.at, v.condition, v.reason, v.message FROM (SELECT ? AS device_id, ? AS at, ? AS condition, ? AS reason, ? AS message) v
WHERE NOT EXISTS (SELECT 1 FROM condition_history h WHERE h.rowid IN (
  (SELECT p.rowid FROM condition_history p WHERE p.device_id = v.device_id AND p.at <= v.at ORDER BY p.at DESC, p.rowid DESC LIMIT 1),
  (SELECT n.rowid FROM condition_history n WHERE n.device_id = v.device_id AND n.at > v.at ORDER BY n.at, n.rowid LIMIT 1)
) AND h.condition = v.condition AND h.reason = v.reason)`;

/**
 * PostgreSQL, one statement per batch ($1…$5 column arrays, $6 whether the row is its device's first
 * in the batch): rows of one statement do not see each other, so only a device's first row is
 * checked against the history (a batch holds one device's changes in time order, none repeated:
 * conditionChangesOnce; only its last row could meet a later one, which concurrent metas rarely write).
 */
export const POSTGRES_INSERT_CONDITIONS = `INSERT INTO condition_history (${COLUMNS})
SELECT v.device_id, v.at, v.condition, v.reason, v.message
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bool[]) AS v(device_id, at, condition, reason, message, first)
WHERE NOT v.first OR NOT EXISTS (SELECT 1 FROM condition_history h WHERE h.id IN (
  (SELECT p.id FROM condition_history p WHERE p.device_id = v.device_id AND p.at <= v.at ORDER BY p.at DESC, p.id DESC LIMIT 1),
  (SELECT n.id FROM condition_history n WHERE n.device_id = v.device_id AND n.at > v.at ORDER BY n.at, n.id LIMIT 1)
) AND h.condition = v.condition AND h.reason = v.reason)`;

/** A batch's changes without repeats (a change equal to its device's previous one in the batch), each marked whether it is its device's first. */
export function conditionChangesOnce(changes: readonly ConditionChange[]): { change: ConditionChange; first: boolean }[] {
  const last = new Map<string, ConditionChange>();
  const out: { change: ConditionChange; first: boolean }[] = [];
  for (const c of [...changes].sort((a, b) => a.at - b.at)) {
    const prev = last.get(c.deviceId);
    if (prev && prev.condition === c.condition && prev.reason === c.reason) continue;
    out.push({ change: c, first: !prev });
    last.set(c.deviceId, c);
  }
  return out;
}

/** The parameters of POSTGRES_INSERT_CONDITIONS. */
export function postgresConditionParams(changes: readonly ConditionChange[]): unknown[][] {
  const rows = conditionChangesOnce(changes);
  return [
    rows.map((r) => r.change.deviceId), rows.map((r) => r.change.at), rows.map((r) => r.change.condition),
    rows.map((r) => r.change.reason), rows.map((r) => r.change.message), rows.map((r) => r.first),
  ];
}

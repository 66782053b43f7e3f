// What meta does with an enrollment request, and with an admin's decision: pure functions of the
// device's record (null before its first request), what devices/<id>.yaml declares and the
// request. The signature is checked before (the route); these decide the status.
//
// A device's enrollment is one record keyed by its id, holding one key:
// - first request: accepted at once with `enroll: auto` or a matching `enroll.fingerprint`, else pending;
// - the same key again: accepted gets a fresh credential (a device that lost it), pending is
//   checked against the fleet again, rejected and revoked stay so (only a person changes them);
// - another key: pending takes it (the listing shows the new fingerprint); an accepted device
//   keeps its key unless the fleet declares the new fingerprint; rejected and revoked stay so.
import type { EnrollSpec } from '../../specs/schema/device.js';
import type { EnrollmentStatus } from '../../specs/wire/enroll.js';
import type { EnrollmentRow } from '../store/store.js';

/** How far a request's timestamp may be from meta's clock. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface EnrollAttempt {
  deviceId: string;
  publicKey: string;
  fingerprint: string;
  hostname: string | null;
  labels: Readonly<Record<string, string>>;
  /** The request's signed timestamp (epoch ms). */
  timestamp: number;
  /** The client address it came from (shown to the person deciding). */
  sourceAddress: string | null;
}

export type EnrollDecision =
  | { kind: 'refuse'; code: 'ENROLL_STALE' | 'ENROLL_KEY_MISMATCH'; message: string }
  | { kind: 'answer'; status: EnrollmentStatus; record: EnrollmentRow; issueCredential: boolean; message: string };

const FLEET_AUTO = 'fleet (enroll: auto)';
const FLEET_FINGERPRINT = 'fleet (enroll.fingerprint)';

/** Whether the fleet admits this key for the device, and who to record as deciding. */
function fleetAdmits(spec: EnrollSpec | undefined, fingerprint: string, allowAuto: boolean): string | null {
  if (spec === undefined) return null;
  if (spec === 'auto') return allowAuto ? FLEET_AUTO : null;
  return spec.fingerprint === fingerprint ? FLEET_FINGERPRINT : null;
}

function pendingMessage(id: string, spec: EnrollSpec | undefined, fingerprint: string): string {
  const accept = `accept it with \`drover devices accept ${id}\` or on the dashboard`;
  if (spec !== undefined && spec !== 'auto') return `the key ${fingerprint} is not the one devices/${id}.yaml declares (${spec.fingerprint}): ${accept}`;
  return `waiting for a person to ${accept}`;
}

export function decideEnrollment(record: EnrollmentRow | null, spec: EnrollSpec | undefined, a: EnrollAttempt, now: number): EnrollDecision {
  const skew = a.timestamp - now;
  if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
    return { kind: 'refuse', code: 'ENROLL_STALE', message: `the request was signed ${Math.round(Math.abs(skew) / 1000)} s ${skew < 0 ? 'ago' : 'ahead of meta\'s clock'} (at most ${MAX_CLOCK_SKEW_MS / 1000} s): check the device's clock` };
  }
  if (record && record.fingerprint === a.fingerprint && a.timestamp <= record.lastRequestAt) {
    return { kind: 'refuse', code: 'ENROLL_STALE', message: 'the request is not newer than the last one from this key (a replay?)' };
  }
  const seen = { hostname: a.hostname, labels: { ...a.labels }, lastRequestAt: a.timestamp, updatedAt: now, sourceAddress: a.sourceAddress };
  const decided = (by: string): Pick<EnrollmentRow, 'status' | 'decidedAt' | 'decidedBy' | 'reason'> => ({ status: 'accepted', decidedAt: now, decidedBy: by, reason: null });
  const accepted = (row: EnrollmentRow, message: string): EnrollDecision => ({ kind: 'answer', status: 'accepted', record: row, issueCredential: true, message });
  const pending = (row: EnrollmentRow): EnrollDecision => ({ kind: 'answer', status: 'pending', record: row, issueCredential: false, message: pendingMessage(a.deviceId, spec, a.fingerprint) });

  if (!record) {
    const fresh: EnrollmentRow = {
      deviceId: a.deviceId, status: 'pending', publicKey: a.publicKey, fingerprint: a.fingerprint, credentialHash: null,
      requestedAt: now, decidedAt: null, decidedBy: null, reason: null, ...seen,
    };
    const by = fleetAdmits(spec, a.fingerprint, true);
    return by ? accepted({ ...fresh, ...decided(by) }, `accepted by the ${by}`) : pending(fresh);
  }
  const sameKey = record.fingerprint === a.fingerprint;
  if (record.status === 'rejected' || record.status === 'revoked') {
    const what = record.status === 'rejected' ? 'rejected' : 'revoked';
    const row = sameKey ? { ...record, ...seen } : record;
    const why = record.reason ? `: ${record.reason}` : '';
    return { kind: 'answer', status: record.status, record: row, issueCredential: false, message: `the enrollment of ${a.deviceId} was ${what}${record.decidedBy ? ` by ${record.decidedBy}` : ''}${why}; only a person can accept it again` };
  }
  if (record.status === 'accepted') {
    if (sameKey) return accepted({ ...record, ...seen }, 'accepted: a new credential replaces the previous one');
    const by = fleetAdmits(spec, a.fingerprint, false);
    if (by) return accepted({ ...record, ...seen, publicKey: a.publicKey, fingerprint: a.fingerprint, credentialHash: null, ...decided(by) }, `a new key accepted by the ${by}`);
    return {
      kind: 'refuse',
      code: 'ENROLL_KEY_MISMATCH',
      message: `device ${a.deviceId} is enrolled with another key (${record.fingerprint}): revoke it (\`drover devices revoke ${a.deviceId}\`) and accept the new one, or declare the new fingerprint in devices/${a.deviceId}.yaml`,
    };
  }
  // pending: the latest key is the one a person decides on; the fleet may admit it by now.
  const row: EnrollmentRow = { ...record, ...seen, publicKey: a.publicKey, fingerprint: a.fingerprint };
  const by = fleetAdmits(spec, a.fingerprint, true);
  return by ? accepted({ ...row, ...decided(by) }, `accepted by the ${by}`) : pending(row);
}

export type AdminAction = 'accept' | 'reject' | 'revoke';

export type AdminDecision = { ok: true; record: EnrollmentRow; changed: boolean } | { ok: false; code: 'ENROLL_CONFLICT'; message: string };

/**
 * An admin's decision on a device's enrollment. `fingerprint`, when given, must be the key the
 * record holds (a key replaced between looking and deciding is not accepted blindly).
 */
export function decideAdmin(record: EnrollmentRow, action: AdminAction, o: { by: string; reason?: string | null; fingerprint?: string | null; now: number }): AdminDecision {
  if (o.fingerprint && o.fingerprint !== record.fingerprint) {
    return { ok: false, code: 'ENROLL_CONFLICT', message: `device ${record.deviceId} now asks with the key ${record.fingerprint}, not ${o.fingerprint}: look again before deciding` };
  }
  const to: Record<AdminAction, EnrollmentStatus> = { accept: 'accepted', reject: 'rejected', revoke: 'revoked' };
  const target = to[action];
  if (record.status === target) return { ok: true, record, changed: false };
  if (action === 'reject' && record.status !== 'pending') {
    return { ok: false, code: 'ENROLL_CONFLICT', message: `device ${record.deviceId} is ${record.status}: only a pending request is rejected${record.status === 'accepted' ? ` (revoke it: \`drover devices revoke ${record.deviceId}\`)` : ''}` };
  }
  if (action === 'revoke' && record.status !== 'accepted') {
    return { ok: false, code: 'ENROLL_CONFLICT', message: `device ${record.deviceId} is ${record.status}, not enrolled: ${record.status === 'pending' ? 'reject the request instead' : 'nothing to revoke'}` };
  }
  return {
    ok: true,
    changed: true,
    record: {
      ...record,
      status: target,
      // A revoked or rejected device has no valid credential; an accepted one gets one at its next signed request.
      credentialHash: null,
      decidedAt: o.now,
      decidedBy: o.by,
      reason: o.reason ?? null,
      updatedAt: o.now,
    },
  };
}

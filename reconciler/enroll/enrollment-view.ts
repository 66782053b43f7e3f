// How an enrollment record is shown (API, CLI, dashboard): never the credential or its hash.
import type { MetaDeps } from '../deps.js';
import type { EnrollmentRow } from '../store/store.js';

export interface EnrollmentView {
  deviceId: string;
  status: EnrollmentRow['status'];
  fingerprint: string;
  publicKey: string;
  hostname: string | null;
  labels: Readonly<Record<string, string>>;
  /** The client address of the last request. */
  sourceAddress: string | null;
  /** What devices/<id>.yaml declares: `auto`, the fingerprint it admits, or null. */
  declared: string | null;
  /** Whether a credential is valid now (accepted and issued). */
  hasCredential: boolean;
  requestedAt: string;
  lastRequestAt: string;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function enrollmentView(r: EnrollmentRow, deps: Pick<MetaDeps, 'desired'>): EnrollmentView {
  const spec = deps.desired.compiled?.devices.get(r.deviceId)?.enroll;
  return {
    deviceId: r.deviceId,
    status: r.status,
    fingerprint: r.fingerprint,
    publicKey: r.publicKey,
    hostname: r.hostname,
    labels: r.labels,
    sourceAddress: r.sourceAddress,
    declared: spec === undefined ? null : spec === 'auto' ? 'auto' : spec.fingerprint,
    hasCredential: r.status === 'accepted' && r.credentialHash !== null,
    requestedAt: iso(r.requestedAt),
    lastRequestAt: iso(r.lastRequestAt),
    decidedAt: r.decidedAt === null ? null : iso(r.decidedAt),
    decidedBy: r.decidedBy,
    reason: r.reason,
  };
}

// The enrollment decisions, table-driven: a request against the device's record and what
// devices/<id>.yaml declares; an admin's accept, reject or revoke.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideAdmin, decideEnrollment, MAX_CLOCK_SKEW_MS, type AdminAction, type EnrollAttempt } from '../../../reconciler/enroll/decide-enrollment.js';
import type { EnrollmentRow } from '../../../reconciler/store/store.js';
import type { EnrollSpec } from '../../../specs/schema/device.js';

const NOW = 1_800_000_000_000;
const FP_A = 'SHA256:' + 'A'.repeat(43);
const FP_B = 'SHA256:' + 'B'.repeat(43);
const attempt = (fingerprint = FP_A, extra: Partial<EnrollAttempt> = {}): EnrollAttempt => ({
  deviceId: 'dev-1', publicKey: `key-${fingerprint.slice(7, 8)}`, fingerprint, hostname: 'h1', labels: { role: 'web' }, timestamp: NOW - 1000, sourceAddress: '127.0.0.7', ...extra,
});
const row = (status: EnrollmentRow['status'], fingerprint = FP_A, extra: Partial<EnrollmentRow> = {}): EnrollmentRow => ({
  deviceId: 'dev-1', status, publicKey: `key-${fingerprint.slice(7, 8)}`, fingerprint, credentialHash: status === 'accepted' ? 'c'.repeat(64) : null,
  hostname: 'h0', labels: {}, requestedAt: NOW - 100_000, lastRequestAt: NOW - 50_000, decidedAt: null, decidedBy: null, reason: null, updatedAt: NOW - 50_000, sourceAddress: '127.0.0.6', ...extra,
});

describe('decideEnrollment', () => {
  const cases: { name: string; record: EnrollmentRow | null; spec?: EnrollSpec; attempt?: EnrollAttempt; status?: string; issue?: boolean; by?: string | null; fingerprint?: string; refuse?: string; message?: RegExp }[] = [
    { name: 'a first request, nothing declared: pending', record: null, status: 'pending', issue: false, by: null, message: /drover devices accept dev-1/ },
    { name: 'a first request, enroll: auto: accepted', record: null, spec: 'auto', status: 'accepted', issue: true, by: 'fleet (enroll: auto)' },
    { name: 'a first request, the declared fingerprint: accepted', record: null, spec: { fingerprint: FP_A }, status: 'accepted', issue: true, by: 'fleet (enroll.fingerprint)' },
    { name: 'a first request, another fingerprint declared: pending, saying so', record: null, spec: { fingerprint: FP_B }, status: 'pending', issue: false, message: /not the one devices\/dev-1\.yaml declares/ },
    { name: 'pending, asked again: pending', record: row('pending'), status: 'pending', issue: false },
    { name: 'pending, the fleet now says auto: accepted', record: row('pending'), spec: 'auto', status: 'accepted', issue: true, by: 'fleet (enroll: auto)' },
    { name: 'pending, another key: pending with the new key', record: row('pending'), attempt: attempt(FP_B), status: 'pending', fingerprint: FP_B },
    { name: 'accepted, the same key (lost credential): a new credential', record: row('accepted', FP_A, { decidedBy: 'admin' }), status: 'accepted', issue: true, by: 'admin' },
    { name: 'accepted, another key: refused', record: row('accepted'), attempt: attempt(FP_B), refuse: 'ENROLL_KEY_MISMATCH', message: /revoke it/ },
    { name: 'accepted, another key with auto: still refused (the first key wins)', record: row('accepted'), spec: 'auto', attempt: attempt(FP_B), refuse: 'ENROLL_KEY_MISMATCH' },
    { name: 'accepted, another key the fleet declares: accepted with it', record: row('accepted'), spec: { fingerprint: FP_B }, attempt: attempt(FP_B), status: 'accepted', issue: true, fingerprint: FP_B },
    { name: 'rejected stays rejected', record: row('rejected', FP_A, { decidedBy: 'admin' }), status: 'rejected', issue: false, message: /rejected by admin/ },
    { name: 'rejected stays rejected with auto', record: row('rejected'), spec: 'auto', status: 'rejected', issue: false },
    { name: 'rejected stays rejected with another key, keeping its key', record: row('rejected'), attempt: attempt(FP_B), status: 'rejected', fingerprint: FP_A },
    { name: 'revoked stays revoked, with the reason', record: row('revoked', FP_A, { reason: 'stolen' }), spec: 'auto', status: 'revoked', issue: false, message: /revoked.*stolen/ },
    { name: 'revoked stays revoked with a declared new key', record: row('revoked'), spec: { fingerprint: FP_B }, attempt: attempt(FP_B), status: 'revoked', fingerprint: FP_A },
    { name: 'a request signed long ago: refused', record: null, spec: 'auto', attempt: attempt(FP_A, { timestamp: NOW - MAX_CLOCK_SKEW_MS - 1 }), refuse: 'ENROLL_STALE', message: /clock/ },
    { name: 'a request from the future: refused', record: null, attempt: attempt(FP_A, { timestamp: NOW + MAX_CLOCK_SKEW_MS + 1 }), refuse: 'ENROLL_STALE' },
    { name: 'a replay (not newer than the last request of this key): refused', record: row('accepted'), attempt: attempt(FP_A, { timestamp: NOW - 50_000 }), refuse: 'ENROLL_STALE', message: /replay/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const a = c.attempt ?? attempt();
      const d = decideEnrollment(c.record, c.spec, a, NOW);
      if (c.refuse) {
        assert.equal(d.kind, 'refuse');
        if (d.kind === 'refuse') assert.equal(d.code, c.refuse);
      } else {
        assert.equal(d.kind, 'answer');
        if (d.kind !== 'answer') return;
        assert.equal(d.status, c.status);
        assert.equal(d.record.status, c.status);
        assert.equal(d.issueCredential, c.issue ?? false);
        if (c.by !== undefined) assert.equal(d.record.decidedBy, c.by);
        assert.equal(d.record.fingerprint, c.fingerprint ?? FP_A);
        if (c.record === null) assert.equal(d.record.requestedAt, NOW);
        if (d.record.fingerprint === a.fingerprint) assert.equal(d.record.lastRequestAt, a.timestamp);
        if (d.record.fingerprint === a.fingerprint) assert.equal(d.record.sourceAddress, a.sourceAddress, 'the address of the last request');
      }
      if (c.message) assert.match(d.message, c.message);
    });
  }
});

describe('decideAdmin', () => {
  const cases: { from: EnrollmentRow['status']; action: AdminAction; to?: string; changed?: boolean; conflict?: RegExp }[] = [
    { from: 'pending', action: 'accept', to: 'accepted', changed: true },
    { from: 'pending', action: 'reject', to: 'rejected', changed: true },
    { from: 'pending', action: 'revoke', conflict: /reject the request instead/ },
    { from: 'accepted', action: 'accept', to: 'accepted', changed: false },
    { from: 'accepted', action: 'reject', conflict: /revoke it/ },
    { from: 'accepted', action: 'revoke', to: 'revoked', changed: true },
    { from: 'rejected', action: 'accept', to: 'accepted', changed: true },
    { from: 'rejected', action: 'reject', to: 'rejected', changed: false },
    { from: 'rejected', action: 'revoke', conflict: /nothing to revoke/ },
    { from: 'revoked', action: 'accept', to: 'accepted', changed: true },
    { from: 'revoked', action: 'revoke', to: 'revoked', changed: false },
    { from: 'revoked', action: 'reject', conflict: /only a pending request/ },
  ];
  for (const c of cases) {
    it(`${c.from} + ${c.action} → ${c.to ?? 'conflict'}`, () => {
      const d = decideAdmin(row(c.from), c.action, { by: 'admin alice', reason: 'why', now: NOW });
      if (c.conflict) {
        assert.equal(d.ok, false);
        if (!d.ok) assert.match(d.message, c.conflict);
        return;
      }
      assert.equal(d.ok, true);
      if (!d.ok) return;
      assert.equal(d.record.status, c.to);
      assert.equal(d.changed, c.changed);
      if (c.changed) {
        assert.equal(d.record.decidedBy, 'admin alice');
        assert.equal(d.record.decidedAt, NOW);
        assert.equal(d.record.reason, 'why');
        assert.equal(d.record.credentialHash, null, 'a decision voids the credential (an accepted device gets a new one)');
      }
    });
  }
  it('a fingerprint that is no longer the one asking is a conflict', () => {
    const d = decideAdmin(row('pending', FP_B), 'accept', { by: 'admin', fingerprint: FP_A, now: NOW });
    assert.equal(d.ok, false);
    assert.equal(decideAdmin(row('pending', FP_B), 'accept', { by: 'admin', fingerprint: FP_B, now: NOW }).ok, true);
  });
});

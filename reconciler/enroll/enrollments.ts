// meta's device enrollments: every device's record in memory (read from the Store at start, each
// change written through it before it is answered), the credentials they authenticate, and the
// decisions (decide-enrollment.ts). Metas sharing a store tell each other which record changed.
//
// A credential is `dc1.<device id>.<43 base64url characters>` (32 random bytes): the id finds the
// record, whose SHA-256 of the whole credential is compared in constant time. Only that hash is kept.
import { hash as oneShotHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DroverError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { EnrollSpec } from '../../specs/schema/device.js';
import type { EnrollResponse } from '../../specs/wire/enroll.js';
import { ENROLL_PROTOCOL } from '../../specs/wire/enroll.js';
import type { EnrollmentRow, Store } from '../store/store.js';
import { decideAdmin, decideEnrollment, type AdminAction, type EnrollAttempt } from './decide-enrollment.js';

const PREFIX = 'dc1.';
const TOPIC = 'enrollment';
const sha256Hex = (s: string): string => oneShotHash('sha256', s, 'hex') as string;

export interface EnrollmentsOptions {
  store: Store;
  clock: { now(): number };
  log: Logger;
  /** What devices/<id>.yaml declares under `enroll` (the last good revision). */
  fleetSpec(id: string): EnrollSpec | undefined;
  /** How long a pending device waits between requests (told in the answer). */
  pendingRetryMs?: number;
}

export type CredentialCheck = { id: string } | { error: string; code: 'UNAUTHORIZED' | 'CREDENTIAL_REVOKED' };

export class Enrollments {
  private records = new Map<string, EnrollmentRow>();
  private listeners: ((row: EnrollmentRow) => void)[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private offEvents: (() => void) | null = null;
  private rereadAt = new Map<string, number>();

  constructor(private readonly o: EnrollmentsOptions) {}

  async load(): Promise<number> {
    for (const row of await this.o.store.loadEnrollments()) this.records.set(row.deviceId, row);
    this.offEvents = this.o.store.shared?.onEvent((topic, id) => {
      if (topic === TOPIC) void this.reread(id);
    }) ?? null;
    return this.records.size;
  }

  close(): void {
    this.offEvents?.();
  }

  /** Called with each record that changed (here or on another meta). */
  onChange(listener: (row: EnrollmentRow) => void): () => void {
    this.listeners.push(listener);
    return () => void (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  get(id: string): EnrollmentRow | undefined {
    return this.records.get(id);
  }

  list(): EnrollmentRow[] {
    return [...this.records.values()].sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  }

  counts(): Record<EnrollmentRow['status'], number> {
    const out = { pending: 0, accepted: 0, rejected: 0, revoked: 0 };
    for (const r of this.records.values()) out[r.status]++;
    return out;
  }

  /** Whether the device holds (or held, revoked) an enrolled credential: it speaks only with it. */
  enrolled(id: string): boolean {
    const s = this.records.get(id)?.status;
    return s === 'accepted' || s === 'revoked';
  }

  /** Why the device is revoked, for its condition; null when it is not. */
  revocation(id: string): { reason: string; message: string } | null {
    const r = this.records.get(id);
    if (r?.status !== 'revoked') return null;
    const when = r.decidedAt ? ` at ${new Date(r.decidedAt).toISOString()}` : '';
    return { reason: 'CredentialRevoked', message: `the device's credential was revoked${r.decidedBy ? ` by ${r.decidedBy}` : ''}${when}${r.reason ? `: ${r.reason}` : ''}` };
  }

  /** null when `presented` is not an enrollment credential; else the device it is valid for, or why not. */
  authenticate(presented: string): Promise<CredentialCheck> | null {
    // null at once (no promise) for anything else: a shared agent token on every idle heartbeat
    return presented.startsWith(PREFIX) ? this.checkCredential(presented) : null;
  }

  private async checkCredential(presented: string): Promise<CredentialCheck> {
    const dot = presented.lastIndexOf('.');
    const id = presented.slice(PREFIX.length, dot);
    if (dot <= PREFIX.length || !id) return { code: 'UNAUTHORIZED', error: 'malformed device credential' };
    let check = this.check(id, presented);
    // Another meta may have issued it a moment ago: read the record again (at most every few seconds per device).
    if ('error' in check && check.code === 'UNAUTHORIZED' && this.records.size < 1e7 && (await this.reread(id, 5_000))) check = this.check(id, presented);
    return check;
  }

  private check(id: string, presented: string): CredentialCheck {
    const r = this.records.get(id);
    if (r?.status === 'revoked') return { code: 'CREDENTIAL_REVOKED', error: `the credential of device ${id} was revoked` };
    if (!r || r.status !== 'accepted' || !r.credentialHash) return { code: 'UNAUTHORIZED', error: `no valid credential for device ${id}` };
    const ok = timingSafeEqual(Buffer.from(sha256Hex(presented), 'hex'), Buffer.from(r.credentialHash, 'hex'));
    return ok ? { id } : { code: 'UNAUTHORIZED', error: `not the current credential of device ${id} (a newer one was issued?)` };
  }

  /** A signed request (its signature already checked): the decision, written before it is answered. */
  enroll(a: EnrollAttempt): Promise<EnrollResponse> {
    return this.serial(async () => {
      const now = this.o.clock.now();
      const d = decideEnrollment(this.records.get(a.deviceId) ?? null, this.o.fleetSpec(a.deviceId), a, now);
      if (d.kind === 'refuse') throw new DroverError(d.code, d.message);
      let credential: string | undefined;
      let row = d.record;
      if (d.issueCredential) {
        credential = `${PREFIX}${a.deviceId}.${randomBytes(32).toString('base64url')}`;
        row = { ...row, credentialHash: sha256Hex(credential) };
      }
      const before = this.records.get(a.deviceId);
      await this.save(row, before?.status !== row.status || before?.fingerprint !== row.fingerprint);
      if (before?.status !== row.status) this.o.log.info({ device: a.deviceId, fingerprint: a.fingerprint, status: row.status, by: row.decidedBy }, `enrollment ${row.status}`);
      return {
        protocol: ENROLL_PROTOCOL,
        deviceId: a.deviceId,
        status: d.status,
        fingerprint: row.fingerprint,
        message: d.message,
        ...(credential ? { credential } : {}),
        ...(d.status === 'pending' ? { retryAfterMs: this.o.pendingRetryMs ?? 30_000 } : {}),
      };
    });
  }

  /** An admin's accept, reject or revoke. */
  decide(id: string, action: AdminAction, o: { by: string; reason?: string | null; fingerprint?: string | null }): Promise<EnrollmentRow> {
    return this.serial(async () => {
      await this.reread(id);
      const record = this.records.get(id);
      if (!record) throw new DroverError('NOT_FOUND', `no enrollment request from device ${id}`);
      const d = decideAdmin(record, action, { ...o, now: this.o.clock.now() });
      if (!d.ok) throw new DroverError(d.code, d.message);
      if (d.changed) {
        await this.save(d.record, true);
        this.o.log.info({ device: id, fingerprint: d.record.fingerprint, status: d.record.status, by: o.by, reason: o.reason ?? undefined }, `enrollment ${d.record.status}`);
      }
      return d.record;
    });
  }

  private async save(row: EnrollmentRow, changed: boolean): Promise<void> {
    await this.o.store.saveEnrollment(row);
    this.records.set(row.deviceId, row);
    if (!changed) return;
    for (const l of this.listeners) l(row);
    void this.o.store.shared?.publish(TOPIC, row.deviceId).catch((err: unknown) => this.o.log.warn({ err: String(err) }, 'could not tell the other metas about an enrollment'));
  }

  /** Reads one record from the store again; false when skipped (read within `minGapMs`) or unchanged. */
  private async reread(id: string, minGapMs = 0): Promise<boolean> {
    const now = Date.now();
    if (minGapMs && now - (this.rereadAt.get(id) ?? 0) < minGapMs) return false;
    this.rereadAt.set(id, now);
    if (this.rereadAt.size > 10_000) this.rereadAt.clear();
    const row = await this.o.store.enrollment(id);
    const before = this.records.get(id);
    if (!row || (before && before.updatedAt === row.updatedAt && before.credentialHash === row.credentialHash && before.status === row.status)) return false;
    this.records.set(id, row);
    if (before?.status !== row.status) for (const l of this.listeners) l(row);
    return true;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn);
    this.chain = p.catch(() => undefined);
    return p;
  }
}

// The audit log: append-only JSON lines (<data>/audit.jsonl), one event per line with its time.
// Lines are written with O_APPEND in order; `flush()` waits until everything is on disk.
// The last few events are also kept in memory (strings shortened) for the status report.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type AuditEvent =
  | { event: 'login-attempt'; user: string; from: string }
  | { event: 'login-failed'; user: string; from: string; reason: string }
  | { event: 'login'; user: string; from: string; otp: string }
  | { event: 'lockout'; key: string; user?: string; from?: string; forMs: number; reason?: string }
  | { event: 'connection-refused'; from: string; reason: string }
  | { event: 'tunnel-refused'; user: string; from: string; device: string; port: number; reason: string }
  | { event: 'tunnel'; user: string; from: string; device: string; address: string; port: number; bytesIn: number; bytesOut: number; durationMs: number; error?: string }
  | { event: 'session'; user: string; from: string; kind: 'menu' | 'device' | 'shell' | 'exec'; device?: string; recording?: string; durationMs: number; bytesOut?: number; error?: string }
  | { event: 'forward-refused'; user: string; from: string; request: string }
  | { event: 'logout'; user: string; from: string; durationMs: number }
  | { event: 'drain'; deadlineMs: number; active: number }
  /** A logged-in connection closed by jump: `revoked` (access removed or narrowed, admin kick) or at shutdown. */
  | { event: 'revoked' | 'connection-closed'; user: string; from: string; session: string; reason: string; activities: string }
  | { event: 'channel-refused'; user: string; from: string; kind: 'session'; reason: string };

/** An audit line as written, with its time; what `recent()` returns. */
export type AuditRecord = { time: string; event: AuditEvent['event'] } & Record<string, string | number | boolean>;

/** Events kept for the status report, and the longest string value kept in them. */
export const RECENT_AUDIT_EVENTS = 50;
const RECENT_MAX_STRING = 200;

function shortened(line: Record<string, unknown>): AuditRecord {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(line)) {
    if (typeof v === 'string') out[k] = v.length > RECENT_MAX_STRING ? `${v.slice(0, RECENT_MAX_STRING - 1)}…` : v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out as AuditRecord;
}

export class AuditLog {
  private readonly out: WriteStream;
  private readonly ring: AuditRecord[] = [];

  constructor(readonly path: string, private readonly now: () => number = Date.now, private readonly keep = RECENT_AUDIT_EVENTS) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', () => undefined);
  }

  write(e: AuditEvent): void {
    const line = { time: new Date(this.now()).toISOString(), ...e };
    this.out.write(JSON.stringify(line) + '\n');
    this.ring.push(shortened(line));
    if (this.ring.length > this.keep) this.ring.splice(0, this.ring.length - this.keep);
  }

  /** The most recent events, oldest first (at most RECENT_AUDIT_EVENTS). */
  recent(): AuditRecord[] {
    return this.ring.map((e) => ({ ...e }));
  }

  flush(): Promise<void> {
    return new Promise((resolve) => (this.out.writableLength === 0 ? resolve() : this.out.once('drain', () => resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

// The audit log: append-only JSON lines (<data>/audit.jsonl), one event per line with its time.
// Lines are written with O_APPEND in order; `flush()` waits until everything is on disk.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export type AuditEvent =
  | { event: 'login-attempt'; user: string; from: string }
  | { event: 'login-failed'; user: string; from: string; reason: string }
  | { event: 'login'; user: string; from: string; otp: string }
  | { event: 'lockout'; key: string; user: string; from: string; forMs: number }
  | { event: 'connection-refused'; from: string; reason: string }
  | { event: 'tunnel-refused'; user: string; from: string; device: string; port: number; reason: string }
  | { event: 'tunnel'; user: string; from: string; device: string; address: string; port: number; bytesIn: number; bytesOut: number; durationMs: number; error?: string }
  | { event: 'session'; user: string; from: string; kind: 'menu' | 'device' | 'shell' | 'exec'; device?: string; recording?: string; durationMs: number; bytesOut?: number; error?: string }
  | { event: 'forward-refused'; user: string; from: string; request: string }
  | { event: 'logout'; user: string; from: string; durationMs: number }
  | { event: 'drain'; deadlineMs: number; active: number };

export class AuditLog {
  private readonly out: WriteStream;

  constructor(readonly path: string, private readonly now: () => number = Date.now) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', () => undefined);
  }

  write(e: AuditEvent): void {
    this.out.write(JSON.stringify({ time: new Date(this.now()).toISOString(), ...e }) + '\n');
  }

  flush(): Promise<void> {
    return new Promise((resolve) => (this.out.writableLength === 0 ? resolve() : this.out.once('drain', () => resolve())));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

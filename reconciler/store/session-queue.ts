// Queued dashboard-session and jump-report writes, shared by both stores: the last write of a
// session (or a jump's report) wins, a delete drops a queued put.
import type { JumpReportRow, SessionRow } from './store.js';

export class JumpReportQueue {
  private rows = new Map<string, JumpReportRow>();
  get size(): number {
    return this.rows.size;
  }
  put(row: JumpReportRow): void {
    this.rows.set(row.name, row);
  }
  take(): JumpReportRow[] {
    const out = [...this.rows.values()];
    this.rows = new Map();
    return out;
  }
  putBack(rows: readonly JumpReportRow[]): void {
    for (const r of rows) if (!this.rows.has(r.name)) this.rows.set(r.name, r);
  }
}

export interface SessionBatch {
  puts: SessionRow[];
  deletes: string[];
}

export class SessionQueue {
  private puts = new Map<string, SessionRow>();
  private deletes = new Set<string>();

  get size(): number {
    return this.puts.size + this.deletes.size;
  }
  put(row: SessionRow): void {
    this.deletes.delete(row.idHash);
    this.puts.set(row.idHash, row);
  }
  delete(idHash: string): void {
    this.puts.delete(idHash);
    this.deletes.add(idHash);
  }
  take(): SessionBatch {
    const batch = { puts: [...this.puts.values()], deletes: [...this.deletes] };
    this.puts = new Map();
    this.deletes = new Set();
    return batch;
  }
  putBack(batch: SessionBatch): void {
    for (const r of batch.puts) if (!this.puts.has(r.idHash) && !this.deletes.has(r.idHash)) this.puts.set(r.idHash, r);
    for (const h of batch.deletes) if (!this.puts.has(h)) this.deletes.add(h);
  }
}

// The client's terminal as the session told us: pty or not, type and size, following window-change.
import { EventEmitter } from 'node:events';

export class TermState extends EventEmitter<{ resize: [cols: number, rows: number] }> {
  hasPty = false;
  term = 'xterm-256color';
  cols = 80;
  rows = 24;

  setPty(info: { term?: string; cols?: number; rows?: number }): void {
    this.hasPty = true;
    if (info.term) this.term = info.term;
    this.resize(info.cols ?? this.cols, info.rows ?? this.rows, false);
  }

  resize(cols: number, rows: number, emit = true): void {
    if (cols > 0 && cols < 10_000) this.cols = cols;
    if (rows > 0 && rows < 10_000) this.rows = rows;
    if (emit) this.emit('resize', this.cols, this.rows);
  }
}

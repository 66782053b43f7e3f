// Human-readable log lines for a terminal (pino-pretty style, without the dependency):
//   12:03:04.123 INFO  meta: listening  listen=127.0.0.1:7070 revision=abc123
// Each JSON line pino writes is parsed and reformatted; a line that is not JSON passes as it is.
// An `err` with a stack prints the stack under the line.
import { Writable } from 'node:stream';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };
const COLOURS: Record<number, string> = { 10: '90', 20: '36', 30: '32', 40: '33', 50: '31', 60: '35' };
const HIDDEN = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

function show(v: unknown): string {
  if (typeof v === 'string') return /[\s"=]/.test(v) || v === '' ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

/** One pino JSON line as a readable line (with colours when `colour`). */
export function prettyLine(line: string, colour: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${line}\n`;
  }
  const level = Number(rec.level);
  const time = typeof rec.time === 'string' ? rec.time.slice(11, 23) : new Date(Number(rec.time) || Date.now()).toISOString().slice(11, 23);
  const label = LEVELS[level] ?? String(rec.level);
  const tag = colour ? `\x1b[${COLOURS[level] ?? '0'}m${label}\x1b[0m` : label;
  let stack = '';
  const fields: string[] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    const err = v as { stack?: unknown; message?: unknown } | null;
    if (k === 'err' && err && typeof err === 'object' && typeof err.stack === 'string') {
      stack = `\n    ${err.stack.split('\n').join('\n    ')}`;
      fields.push(`err=${show(err.message)}`);
      continue;
    }
    fields.push(`${k}=${show(v)}`);
  }
  return `${time} ${tag} ${rec.name ?? ''}: ${rec.msg ?? ''}${fields.length ? `  ${fields.join(' ')}` : ''}${stack}\n`;
}

/** A stream for pino that writes readable lines to `out`. */
export function prettyStream(out: NodeJS.WritableStream & { isTTY?: boolean }): Writable {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      out.write(lines.map((l) => prettyLine(l, out.isTTY === true)).join(''));
      cb();
    },
  });
}

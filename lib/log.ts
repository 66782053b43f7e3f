// Structured logging for every daemon and command: JSON lines on stderr (pino), readable lines
// (lib/pretty-log.ts) when stderr is a terminal.
import { pino, type Logger } from 'pino';
import { prettyStream } from './pretty-log.js';

export type { Logger };

export interface LoggerOptions {
  /** Component name, added to every line as `name`. */
  name: string;
  /** pino level; defaults to DROVER_LOG_LEVEL or `info` (`silent` in tests unless set). */
  level?: string;
  /** Where lines go; defaults to stderr. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level =
    opts.level ?? process.env.DROVER_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'silent' : 'info');
  return pino(
    {
      name: opts.name,
      level,
      base: { name: opts.name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization', 'password', '*.password'], censor: '[redacted]' },
    },
    (opts.destination ?? (process.stderr.isTTY ? prettyStream(process.stderr) : pino.destination({ fd: 2, sync: false }))) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

// fastify gives every request a child logger carrying its id (reqId). pino's child() costs more
// than an idle heartbeat's own work, and nearly every request logs nothing: the child is made on
// the request's first log line instead (fastify's childLoggerFactory option).
import type { FastifyBaseLogger } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1];
type LogArgs = Parameters<FastifyBaseLogger['info']>;

export class LazyRequestLogger implements FastifyBaseLogger {
  private made: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private get log(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made ? this.made.level : (this.options?.level ?? this.parent.level);
  }
  set level(level: string) {
    this.log.level = level;
  }

  fatal(...args: LogArgs): void {
    this.log.fatal(...args);
  }
  error(...args: LogArgs): void {
    this.log.error(...args);
  }
  warn(...args: LogArgs): void {
    this.log.warn(...args);
  }
  info(...args: LogArgs): void {
    this.log.info(...args);
  }
  debug(...args: LogArgs): void {
    this.log.debug(...args);
  }
  trace(...args: LogArgs): void {
    this.log.trace(...args);
  }
  silent(...args: LogArgs): void {
    this.log.silent(...args);
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}

/** fastify's `childLoggerFactory`: the request's logger, made when first used. */
export function lazyChildLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildOptions): FastifyBaseLogger {
  return new LazyRequestLogger(logger, bindings, options);
}

/**
 * Request ids in fastify's default form (req-1, req-2, … in base 36), given to fastify as its
 * genReqId and used by the raw POST /heartbeat path for the lines it logs.
 */
export function requestIds(): () => string {
  let next = 0;
  return () => `req-${(next = (next + 1) & 0x7fffffff).toString(36)}`;
}

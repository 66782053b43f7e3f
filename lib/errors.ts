// One error class for the whole project, carrying a stable `code` that callers switch on
// and a `kind` that says what should happen next (fluxcd style):
//   stalled: a person must act (bad config, invalid spec) — retrying will not help;
//   waiting: retry later (unreachable server, busy);
//   generic: anything else.
export type ErrorKind = 'stalled' | 'waiting' | 'generic';

export class DroverError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details?: unknown;

  constructor(code: string, message: string, opts: { kind?: ErrorKind; cause?: unknown; details?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DroverError';
    this.code = code;
    this.kind = opts.kind ?? 'generic';
    this.details = opts.details;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

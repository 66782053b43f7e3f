// One error class for the whole project and ONE map of its error codes. Each code carries a
// `kind` that says what should happen next (fluxcd style) and the HTTP status it answers with
// when it reaches a client:
//   stalled: a person must act (bad config, invalid spec, refused archive): retrying will not help;
//   waiting: retry later (unreachable server, busy, a transfer cut short);
//   generic: anything else (retried on the ordinary schedule).
// Callers decide retry or stop from `err.kind`, never from the message. Add a code here, never
// pass a free string.
export type ErrorKind = 'stalled' | 'waiting' | 'generic';

interface CodeInfo {
  readonly kind: ErrorKind;
  readonly status: number;
}

const stalled = (status = 400): CodeInfo => ({ kind: 'stalled', status });
const waiting = (status = 503): CodeInfo => ({ kind: 'waiting', status });
const generic = (status = 500): CodeInfo => ({ kind: 'generic', status });

export const ERROR_CODES = {
  // HTTP API (meta, the dashboard)
  BAD_REQUEST: stalled(400),
  BAD_JSON: stalled(400),
  INVALID_BODY: stalled(400),
  INVALID_QUERY: stalled(400),
  UNAUTHORIZED: stalled(401),
  FORBIDDEN: stalled(403),
  TLS_REQUIRED: stalled(403),
  NOT_FOUND: stalled(404),
  PAYLOAD_TOO_LARGE: stalled(413),
  UNSUPPORTED_MEDIA_TYPE: stalled(415),
  TOO_MANY_ATTEMPTS: waiting(429),
  OVERLOADED: waiting(503),
  NO_REVISION: waiting(503),
  INTERNAL: generic(500),

  // device enrollment (meta's /v1/enroll and /v1/enrollments)
  ENROLL_OFF: stalled(404),
  ENROLL_SIGNATURE_INVALID: stalled(401),
  ENROLL_STALE: stalled(400),
  ENROLL_KEY_MISMATCH: stalled(409),
  ENROLL_CONFLICT: stalled(409),
  CREDENTIAL_REVOKED: stalled(401),

  // configuration and start-up
  CONFIG_INVALID: stalled(),
  TLS_INVALID: stalled(),
  LISTEN_FAILED: stalled(500),
  STORE_OPEN_FAILED: stalled(500),
  STORE_UNREACHABLE: waiting(503),
  ROLLOUT_STORE_OPEN_FAILED: stalled(500),
  HOST_KEY: stalled(500),
  USER_INVALID: stalled(),
  FLEET_NOT_FOUND: stalled(404),
  OPS_META_CONFIG_INVALID: stalled(),
  IMPORT_OUTDIR_NOT_EMPTY: stalled(409),

  // talking to meta (CLI, jump)
  META_UNREACHABLE: waiting(502),
  META_UNAVAILABLE: waiting(502),
  META_ERROR: waiting(502),
  META_BAD_ANSWER: generic(502),
  META_UNAUTHORIZED: stalled(401),

  // the fleet repository (meta's and jump's sources)
  SOURCE_FETCH_FAILED: waiting(502),
  SOURCE_READ_FAILED: waiting(500),

  // agent: downloads and archives
  DOWNLOAD_FAILED: waiting(502),
  DOWNLOAD_HTTP_ERROR: waiting(502),
  DOWNLOAD_REFUSED: stalled(502),
  DOWNLOAD_ABORTED: waiting(503),
  DOWNLOAD_TOO_LARGE: stalled(413),
  BAD_CHECKSUM: stalled(),
  CHECKSUM_MISMATCH: stalled(502),
  BAD_ARCHIVE: stalled(422),
  UNSAFE_ARCHIVE: stalled(422),
  UNPACK_FAILED: waiting(500),
  /** The device's disk has no room for a download, an unpack or the agent's records (ENOSPC, EDQUOT). */
  DISK_FULL: waiting(507),

  // agent: control scripts and processes
  NO_CONTROL_SCRIPT: stalled(422),
  STATUS_FAILED: generic(),
  START_FAILED: generic(),
  STOP_FAILED: generic(),
  NOT_STARTED: generic(),
  STEP_FAILED: generic(),

  // meta: artifact cache
  ARTIFACT_UNKNOWN: stalled(404),
  ARTIFACT_CACHE_BUSY: waiting(503),
  ARTIFACT_UPSTREAM_FAILED: waiting(502),
  ARTIFACT_UPSTREAM_TIMEOUT: waiting(502),
  ARTIFACT_URL_UNSUPPORTED: stalled(502),
  ARTIFACT_TOO_LARGE: stalled(502),
  ARTIFACT_CHECKSUM_MISMATCH: waiting(502),

  // jump
  NOTIFY_FAILED: waiting(502),

  // drover promote
  PROMOTE_USAGE: stalled(),
  PROMOTE_NOT_A_REPO: stalled(),
  PROMOTE_DIRTY: stalled(409),
  PROMOTE_BRANCH_EXISTS: stalled(409),
  PROMOTE_NO_HEAD: stalled(),
  PROMOTE_BAD_BRANCH: stalled(),
  PROMOTE_NO_AUTHOR: stalled(),
  PROMOTE_COMMIT: generic(),
  PROMOTE_YAML: stalled(),
  PROMOTE_NOT_FOUND: stalled(404),
  PROMOTE_EXISTS: stalled(409),
  PROMOTE_INVALID_FLEET: stalled(),
  PROMOTE_NO_DEVICE: stalled(404),
  PROMOTE_INVALID_TRIAL: stalled(),
  PROMOTE_TRIALS_DIFFER: stalled(409),
  PROMOTE_TRIAL_FAILED: stalled(409),
  PROMOTE_WOULD_BE_INVALID: stalled(),
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface DroverErrorOptions {
  cause?: unknown;
  details?: unknown;
  /** For `waiting` errors that reach an HTTP client: the Retry-After it is answered with. */
  retryAfterS?: number;
}

export class DroverError extends Error {
  readonly code: ErrorCode;
  readonly details?: unknown;
  readonly retryAfterS?: number;

  constructor(code: ErrorCode, message: string, opts: DroverErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DroverError';
    this.code = code;
    this.details = opts.details;
    if (opts.retryAfterS !== undefined) this.retryAfterS = opts.retryAfterS;
  }

  get kind(): ErrorKind {
    return ERROR_CODES[this.code].kind;
  }

  /** The HTTP status this error answers with. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

/** What should happen after `err`: its kind when it is a DroverError, else `generic`. */
export function kindOf(err: unknown): ErrorKind {
  return err instanceof DroverError ? err.kind : 'generic';
}

/** The code of `err`, or `fallback` for errors that are not DroverErrors. */
export function codeOf(err: unknown, fallback: ErrorCode = 'INTERNAL'): ErrorCode {
  return err instanceof DroverError ? err.code : fallback;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

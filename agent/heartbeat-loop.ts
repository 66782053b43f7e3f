// The heartbeat loop: a random delay at start (no thundering herd after an outage), then
// `POST /v1/heartbeat?wait=N` long polls: meta holds the answer until this device's document
// changes or the wait (the heartbeat interval meta asks for, with jitter) runs out. While meta
// is unreachable it backs off exponentially, with jitter, up to a cap. `wake()` sends the next
// heartbeat at once (to report a finished convergence). Given several meta URLs (metas behind no
// balancer), a failed heartbeat goes to the next URL at once; the backoff starts when every URL
// failed in a row, and the agent stays with the meta that answers.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { DroverError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { HeartbeatResponseSchema, PROTOCOL_VERSION, type HeartbeatRequestInput, type HeartbeatResponse } from '../specs/wire/index.js';
import { backoffMs, jittered } from '../lib/backoff.js';

export interface HeartbeatLoopOptions {
  /** Meta's base URL, or several metas sharing one database (tried in order, failing over). */
  metaUrl: string | readonly string[];
  token: string | null;
  /** TLS settings for meta (--ca, --cert/--key); undefined: the system's CAs. */
  tlsAgent?: HttpsAgent;
  /** The request body, built fresh for each heartbeat. */
  body(): Omit<HeartbeatRequestInput, 'protocol'>;
  onResponse(res: HeartbeatResponse): void;
  /** Upper bound of the random delay before the first heartbeat. */
  initialDelayMs: number;
  /** Interval until meta says otherwise. */
  intervalMs: number;
  /** Share of the interval added or removed at random (0.1 = ±10%). */
  jitter: number;
  /** Longest long poll asked of meta, in seconds. */
  maxWaitSec: number;
  backoff: { baseMs: number; maxMs: number };
  /**
   * Meta answered 401 (an enrolled credential revoked or unknown): resolves once a new token is in
   * place (the agent enrolls again), or when the loop stops. Without it, a 401 is a failure like any.
   */
  onUnauthorized?: (message: string) => Promise<void>;
  log: Logger;
  random?: () => number;
}

export interface HeartbeatLoop {
  start(): void;
  /** Sends a heartbeat now (ends a long poll in progress). No effect while meta is unreachable. */
  wake(): void;
  stop(): Promise<void>;
  readonly stats: { sent: number; failures: number; consecutiveFailures: number; lastOkAt: string | null; lastError: string | null };
  /** The meta URL heartbeats go to now. */
  readonly metaUrl: string;
}


/** Largest heartbeat answer read (a desired document of a big device fits easily). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** One POST with node:http(s) (lighter than fetch for a long-lived idle agent); the answer as text. */
export function postJson(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal, tlsAgent?: HttpsAgent): Promise<{ status: number; text: string }> {
  const https = url.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, signal, ...(https && tlsAgent ? { agent: tlsAgent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`meta's answer is larger than ${MAX_ANSWER_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A gap kept between two heartbeats, even when woken. */
const MIN_GAP_MS = 200;
/** Woken heartbeats (progress reports) are at most this frequent. */
const WAKE_MIN_MS = 1_000;

export function createHeartbeatLoop(o: HeartbeatLoopOptions): HeartbeatLoop {
  const random = o.random ?? Math.random;
  const stats: HeartbeatLoop['stats'] = { sent: 0, failures: 0, consecutiveFailures: 0, lastOkAt: null, lastError: null };
  const urls = (typeof o.metaUrl === 'string' ? [o.metaUrl] : [...o.metaUrl]).map((u) => u.replace(/\/+$/, ''));
  if (urls.length === 0) throw new Error('no meta URL');
  let current = 0;
  let interval = o.intervalMs;
  let stopped = false;
  let request: AbortController | null = null;
  let sleeper: { timer: NodeJS.Timeout; resolve: () => void; wakeable: boolean } | null = null;
  let wakePending = false;
  let loop: Promise<void> | null = null;
  let lastSendAt = 0;
  let wakeTimer: NodeJS.Timeout | null = null;

  const wakeNow = () => {
    if (stopped || stats.consecutiveFailures > 0) return;
    wakePending = true;
    if (request) request.abort();
    else if (sleeper?.wakeable) sleeper.resolve();
  };

  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if (stopped || (wakeable && wakePending)) return resolve();
      sleeper = { timer: setTimeout(() => resolve(), ms), resolve, wakeable };
    }).finally(() => {
      if (sleeper) clearTimeout(sleeper.timer);
      sleeper = null;
    });

  async function send(waitSec: number): Promise<{ res: HeartbeatResponse; elapsedMs: number }> {
    const url = new URL(`${urls[current]!}/v1/heartbeat${waitSec > 0 ? `?wait=${waitSec}` : ''}`);
    request = new AbortController();
    const signal = AbortSignal.any([request.signal, AbortSignal.timeout(waitSec * 1000 + 30_000)]);
    const t0 = Date.now();
    lastSendAt = t0;
    wakePending = false;
    stats.sent++;
    try {
      const body = JSON.stringify({ protocol: PROTOCOL_VERSION, ...o.body() });
      const headers = { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) };
      const { status, text } = await postJson(url, headers, body, signal, o.tlsAgent);
      if (status === 401 && o.onUnauthorized) throw new DroverError('META_UNAUTHORIZED', text.slice(0, 300));
      if (status < 200 || status > 299) {
        const hint = status === 401 || status === 403 ? ' (is --token the agent token meta expects?)' : '';
        throw new Error(`meta answered ${status}${hint}: ${text.slice(0, 300)}`);
      }
      const parsed = HeartbeatResponseSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`meta's answer does not match the heartbeat schema: ${parsed.error.issues[0]?.message ?? ''}`);
      return { res: parsed.data, elapsedMs: Date.now() - t0 };
    } finally {
      request = null;
    }
  }

  async function run(): Promise<void> {
    await sleep(Math.floor(random() * o.initialDelayMs), false);
    while (!stopped) {
      const waitSec = Math.min(o.maxWaitSec, Math.max(1, Math.round(jittered(interval, o.jitter, random) / 1000)));
      let outcome: { res: HeartbeatResponse; elapsedMs: number };
      try {
        outcome = await send(waitSec);
      } catch (err) {
        if (stopped) return;
        if (wakePending) continue; // woken on purpose: send again now
        if (err instanceof DroverError && err.code === 'META_UNAUTHORIZED' && o.onUnauthorized) {
          await o.onUnauthorized(err.message);
          continue;
        }
        stats.failures++;
        stats.consecutiveFailures++;
        stats.lastError = errorMessage(err);
        const failed = urls[current]!;
        current = (current + 1) % urls.length;
        // Every URL gets one try before the backoff; the backoff grows with whole rounds of failures.
        const rounds = Math.floor(stats.consecutiveFailures / urls.length);
        const delay = stats.consecutiveFailures % urls.length === 0 ? backoffMs(rounds, o.backoff, random) : MIN_GAP_MS;
        o.log.warn(
          { err: stats.lastError, failures: stats.consecutiveFailures, retryInMs: delay, ...(urls.length > 1 ? { meta: failed, next: urls[current] } : {}) },
          'heartbeat failed; keeping the last desired state',
        );
        await sleep(delay, false);
        continue;
      }
      if (stats.consecutiveFailures > 0) o.log.info({ after: stats.consecutiveFailures, ...(urls.length > 1 ? { meta: urls[current] } : {}) }, 'meta reachable again');
      stats.consecutiveFailures = 0;
      stats.lastOkAt = new Date().toISOString();
      stats.lastError = null;
      interval = Math.max(1000, outcome.res.heartbeatMs);
      try {
        o.onResponse(outcome.res);
      } catch (err) {
        o.log.error({ err: errorMessage(err) }, 'handling the heartbeat answer failed');
      }
      if (outcome.res.desired) {
        await sleep(MIN_GAP_MS, false);
        continue; // a new document: poll again at once (meta holds it, our etag is current)
      }
      // Meta answered quickly without holding (no long poll there): keep the interval ourselves.
      if (outcome.elapsedMs < Math.min((waitSec * 1000) / 2, 10_000)) await sleep(jittered(interval, o.jitter, random) - outcome.elapsedMs, true);
      else await sleep(MIN_GAP_MS, false);
    }
  }

  return {
    stats,
    get metaUrl() {
      return urls[current]!;
    },
    start() {
      loop ??= run();
    },
    wake() {
      if (stopped || stats.consecutiveFailures > 0) return;
      // Progress reports are coalesced: at most one woken heartbeat per WAKE_MIN_MS.
      const since = Date.now() - lastSendAt;
      if (since < WAKE_MIN_MS) {
        if (!wakeTimer) {
          wakeTimer = setTimeout(() => {
            wakeTimer = null;
            wakeNow();
          }, WAKE_MIN_MS - since);
          wakeTimer.unref();
        }
        return;
      }
      wakeNow();
    },
    async stop() {
      stopped = true;
      if (wakeTimer) clearTimeout(wakeTimer);
      request?.abort();
      sleeper?.resolve();
      await loop?.catch(() => undefined);
    },
  };
}

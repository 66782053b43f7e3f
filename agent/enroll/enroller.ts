// The agent's side of enrollment (--enroll-token-file): with no credential yet, or once meta says
// the one it has is no longer valid, it sends a request signed with its own key (POST /v1/enroll)
// until meta accepts it, then keeps the credential (0600) and heartbeats with it. While pending it
// asks again on the usual backoff schedule and says clearly that it waits for a person; rejected or
// revoked, it asks again rarely (only a person changes that), never in a loop.
import type { Agent as HttpsAgent } from 'node:https';
import { backoffMs } from '../../lib/backoff.js';
import { errorMessage } from '../../lib/errors.js';
import { signWithDeviceKey } from '../../lib/device-key.js';
import type { Logger } from '../../lib/log.js';
import { ENROLL_PROTOCOL, EnrollResponseSchema, enrollmentMessage, type EnrollResponse } from '../../specs/wire/enroll.js';
import { postJson } from '../heartbeat-loop.js';
import { identityFiles, loadOrCreateKey, readCredential, writeCredential } from './identity-files.js';

export interface EnrollerOptions {
  root: string;
  metaUrls: readonly string[];
  /** Read at each request: SIGHUP may replace it. */
  enrollToken(): string;
  tlsAgent?: HttpsAgent;
  device: { id: string; hostname: string; labels: Record<string, string> };
  /** Retry schedule while pending or meta is unreachable; rejected and revoked wait 10× longer. */
  backoff: { baseMs: number; maxMs: number };
  log: Logger;
  random?: () => number;
}

type Outcome = { status: EnrollResponse['status']; answer: EnrollResponse } | { error: string; refused: boolean };

export class Enroller {
  private readonly files;
  private readonly stop = new AbortController();
  private url = 0;

  constructor(private readonly o: EnrollerOptions) {
    this.files = identityFiles(o.root);
  }

  /** The credential kept from an earlier enrollment, if any. */
  storedCredential(): string | null {
    return readCredential(this.files);
  }

  close(): void {
    this.stop.abort();
  }

  /** Asks until meta accepts this device; resolves to its credential, or null when closed first. */
  async enroll(): Promise<string | null> {
    const { key, created } = loadOrCreateKey(this.files);
    const log = this.o.log.child({ component: 'enroll' });
    if (created) log.info({ fingerprint: key.fingerprint }, 'generated this device\'s key');
    let failures = 0;
    let last = '';
    while (!this.stop.signal.aborted) {
      const outcome = await this.ask(key);
      if ('status' in outcome && outcome.status === 'accepted' && outcome.answer.credential) {
        writeCredential(this.files, outcome.answer.credential);
        log.info({ id: this.o.device.id, fingerprint: key.fingerprint, message: outcome.answer.message }, 'enrolled: meta accepted this device; heartbeats use its own credential');
        return outcome.answer.credential;
      }
      failures++;
      let slow = false;
      const state = 'status' in outcome ? outcome.status : `error: ${outcome.error}`;
      if ('status' in outcome) {
        slow = outcome.status !== 'pending';
        if (state !== last || failures % 20 === 0) {
          const fields = { id: this.o.device.id, fingerprint: key.fingerprint, status: outcome.status, message: outcome.answer.message };
          if (outcome.status === 'pending') log.warn(fields, `waiting for acceptance: an admin accepts this device with \`drover devices accept ${this.o.device.id}\` (check the fingerprint)`);
          else log.error(fields, `the enrollment of this device was ${outcome.status}; asking again rarely`);
        }
      } else {
        slow = outcome.refused;
        if (state !== last || failures % 20 === 0) log.warn({ id: this.o.device.id, err: outcome.error, failures }, 'enrollment request failed');
      }
      last = state;
      const policy = slow ? { baseMs: this.o.backoff.maxMs, maxMs: this.o.backoff.maxMs * 10 } : this.o.backoff;
      await this.sleep(backoffMs(slow ? Math.min(failures, 4) : failures, policy, this.o.random));
    }
    return null;
  }

  private async ask(key: { privatePem: string; publicKey: string; fingerprint: string }): Promise<Outcome> {
    const unsigned = {
      protocol: ENROLL_PROTOCOL,
      device: this.o.device,
      publicKey: key.publicKey,
      fingerprint: key.fingerprint,
      timestamp: Date.now(),
    } as const;
    const body = JSON.stringify({ ...unsigned, signature: signWithDeviceKey(key.privatePem, enrollmentMessage(unsigned)) });
    const base = this.o.metaUrls[this.url % this.o.metaUrls.length]!.replace(/\/+$/, '');
    let res: { status: number; text: string };
    try {
      const signal = AbortSignal.any([this.stop.signal, AbortSignal.timeout(30_000)]);
      res = await postJson(new URL(`${base}/v1/enroll`), { 'content-type': 'application/json', authorization: `Bearer ${this.o.enrollToken()}` }, body, signal, this.o.tlsAgent);
    } catch (err) {
      this.url++; // the next meta, if several
      return { error: errorMessage(err), refused: false };
    }
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch {
      return { error: `meta answered ${res.status} without JSON`, refused: false };
    }
    const parsed = EnrollResponseSchema.safeParse(json);
    if ((res.status === 200 || res.status === 202) && parsed.success) return { status: parsed.data.status, answer: parsed.data };
    const message = (json as { message?: unknown } | null)?.message;
    const hint = res.status === 401 && !/signature/.test(String(message)) ? ' (is --enroll-token-file the token meta expects?)' : '';
    return { error: `meta answered ${res.status}${hint}: ${typeof message === 'string' ? message : res.text.slice(0, 200)}`, refused: res.status >= 400 && res.status < 500 };
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.stop.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const onAbort = (): void => {
        clearTimeout(t);
        resolve();
      };
      const t = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

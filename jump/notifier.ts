// Sends delivered one-time codes: a webhook (POST JSON) or a shell command (the message in
// DROVER_MESSAGE as JSON and in DROVER_CODE, DROVER_TO…), run by control's runBounded: a timeout
// kills the command's whole process group.
import { runBounded } from '../control/run-bounded.js';
import { DroverError } from '../lib/errors.js';

export interface CodeMessage {
  user: string;
  channel: string;
  to: string;
  code: string;
  /** ISO time. */
  expiresAt: string;
  text: string;
}

export type Notifier = (msg: CodeMessage) => Promise<void>;

export function createNotifier(target: string | undefined, opts: { timeoutMs?: number } = {}): Notifier | undefined {
  if (!target) return undefined;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  if (/^https?:\/\//.test(target)) {
    return async (msg) => {
      const res = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(msg),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new DroverError('NOTIFY_FAILED', `notifier answered HTTP ${res.status}`);
    };
  }
  return (msg) => runNotifyCommand(target, msg, timeoutMs);
}

async function runNotifyCommand(command: string, msg: CodeMessage, timeoutMs: number): Promise<void> {
  const r = await runBounded({
    command: '/bin/sh',
    args: ['-c', command],
    timeoutMs,
    maxOutputBytes: 4096,
    env: {
      DROVER_USER: msg.user,
      DROVER_CHANNEL: msg.channel,
      DROVER_TO: msg.to,
      DROVER_CODE: msg.code,
      DROVER_EXPIRES_AT: msg.expiresAt,
      DROVER_TEXT: msg.text,
      DROVER_MESSAGE: JSON.stringify(msg),
    },
  });
  if (r.exitCode === 0 && !r.timedOut) return;
  const why = r.spawnError ?? (r.timedOut ? `timed out after ${timeoutMs} ms` : r.signal ? `killed by ${r.signal}` : `exited ${r.exitCode}`);
  throw new DroverError('NOTIFY_FAILED', `notify command ${why}: ${r.output.trim().slice(-300)}`);
}

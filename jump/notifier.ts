// Sends delivered one-time codes: a webhook (POST JSON) or a command (JSON on stdin and
// DROVER_* variables), bounded by a timeout that kills the command's whole process group.
import { spawn } from 'node:child_process';
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
      if (!res.ok) throw new DroverError('NOTIFY_FAILED', `notifier answered HTTP ${res.status}`, { kind: 'waiting' });
    };
  }
  return (msg) => runNotifyCommand(target, msg, timeoutMs);
}

function runNotifyCommand(command: string, msg: CodeMessage, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      detached: true,
      stdio: ['pipe', 'ignore', 'pipe'],
      env: {
        ...process.env,
        DROVER_USER: msg.user,
        DROVER_CHANNEL: msg.channel,
        DROVER_TO: msg.to,
        DROVER_CODE: msg.code,
        DROVER_EXPIRES_AT: msg.expiresAt,
        DROVER_TEXT: msg.text,
      },
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 2000) stderr += d.toString();
    });
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new DroverError('NOTIFY_FAILED', `notify command: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new DroverError('NOTIFY_FAILED', `notify command ${signal ? `killed by ${signal}` : `exited ${code}`}: ${stderr.trim().slice(0, 300)}`));
    });
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(msg) + '\n');
  });
}

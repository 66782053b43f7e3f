// Where a session recording goes: <data>/recordings/<YYYY-MM-DD>/<time>-<user>-<device>-<rand>.cast
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CastRecorder } from './asciicast.js';
import type { TermState } from './term.js';

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);

export function recordingPath(dataDir: string, user: string, device: string, now = new Date()): string {
  const iso = now.toISOString();
  const dir = join(dataDir, 'recordings', iso.slice(0, 10));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${iso.replace(/[:.]/g, '-')}-${safe(user)}-${safe(device)}-${randomBytes(3).toString('hex')}.cast`);
}

export function startRecording(dataDir: string, user: string, device: string, term: TermState): CastRecorder {
  const now = new Date();
  return new CastRecorder(recordingPath(dataDir, user, device, now), {
    width: term.cols,
    height: term.rows,
    timestamp: Math.floor(now.getTime() / 1000),
    title: `${user} on ${device}`,
    env: { TERM: term.term },
    user,
    device,
  });
}

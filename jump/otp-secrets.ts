// Enrolled TOTP secrets, one file per user in jump's data folder: <data>/otp/<user>.json (mode 0600).
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSecret, generateURI } from 'otplib';
import { DroverError } from '../lib/errors.js';

const USER_RE = /^[a-z0-9][a-z0-9._-]{0,62}$/i;

function secretPath(dataDir: string, user: string): string {
  if (!USER_RE.test(user)) throw new DroverError('USER_INVALID', `"${user}" is not a valid user name`);
  return join(dataDir, 'otp', `${user}.json`);
}

export function readOtpSecret(dataDir: string, user: string): string | undefined {
  try {
    const doc = JSON.parse(readFileSync(secretPath(dataDir, user), 'utf8')) as { secret?: unknown };
    return typeof doc.secret === 'string' ? doc.secret : undefined;
  } catch {
    return undefined;
  }
}

/** Generates and stores a new secret for the user (replacing any earlier one); returns it with its otpauth URI. */
export function enrollOtp(dataDir: string, user: string, issuer = 'drover-jump'): { secret: string; uri: string; path: string } {
  const path = secretPath(dataDir, user);
  mkdirSync(join(dataDir, 'otp'), { recursive: true, mode: 0o700 });
  const secret = generateSecret();
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ user, secret, enrolledAt: new Date().toISOString() }) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
  return { secret, uri: generateURI({ issuer, label: user, secret }), path };
}

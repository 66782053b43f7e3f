// The device's own identity under --root: identity/device.key (its ed25519 private key, made on
// first use) and identity/credential (what meta issued at enrollment), both 0600 in a 0700 folder.
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-json.js';
import { deviceKeyFromPem, generateDeviceKey, type DeviceKeyPair } from '../../lib/device-key.js';

export interface IdentityFiles {
  dir: string;
  key: string;
  credential: string;
}

export function identityFiles(root: string): IdentityFiles {
  const dir = join(root, 'identity');
  return { dir, key: join(dir, 'device.key'), credential: join(dir, 'credential') };
}

function readOptional(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function ensureDir(f: IdentityFiles): void {
  mkdirSync(f.dir, { recursive: true, mode: 0o700 });
  chmodSync(f.dir, 0o700);
}

/** The device's key pair: read, or generated and written (0600) the first time. */
export function loadOrCreateKey(f: IdentityFiles): { key: DeviceKeyPair; created: boolean } {
  ensureDir(f);
  const pem = readOptional(f.key);
  if (pem !== null) return { key: deviceKeyFromPem(pem), created: false };
  const key = generateDeviceKey();
  writeFileAtomic(f.key, key.privatePem);
  return { key, created: true };
}

export function readCredential(f: IdentityFiles): string | null {
  const text = readOptional(f.credential)?.trim();
  return text ? text : null;
}

export function writeCredential(f: IdentityFiles, credential: string): void {
  ensureDir(f);
  writeFileAtomic(f.credential, credential + '\n');
}

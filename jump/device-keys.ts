// Device host keys, trusted on first use: the SHA-256 of each device's key is kept in
// <data>/device-host-keys.json; a device that later shows another key is refused.
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export class DeviceKeys {
  private readonly path: string;
  private keys: Record<string, string> = {};

  constructor(dataDir: string) {
    this.path = join(dataDir, 'device-host-keys.json');
    try {
      this.keys = JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>;
    } catch {
      this.keys = {};
    }
  }

  /** True when the key is the one seen before (or the first one, which is then kept). */
  check(deviceId: string, key: Buffer): boolean {
    const fp = `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
    const known = this.keys[deviceId];
    if (known) return known === fp;
    this.keys[deviceId] = fp;
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.keys, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, this.path);
    return true;
  }
}

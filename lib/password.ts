// Password hashes for jump users: scrypt, stored as `scrypt$N$r$p$<salt b64>$<hash b64>`.
// Verification is constant-time and accepts any N/r/p, so the cost can rise later.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

export const DEFAULT_SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = DEFAULT_SCRYPT): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0)) return false;
  // A stored hash must not make verification expensive: N a power of two, at most 256 MiB of memory.
  if (N < 2 || (N & (N - 1)) !== 0 || 128 * N * r > MAX_SCRYPT_MEMORY || p > 16) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (expected.length < 16 || expected.length > 128) return false;
  try {
    const key = await scrypt(password, salt, expected.length, { N, r, p, maxmem: 256 * N * r });
    return timingSafeEqual(key, expected);
  } catch {
    return false;
  }
}

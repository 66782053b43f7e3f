// A device's own key pair for enrollment: ed25519 (node:crypto), the public half written as an
// OpenSSH key line (`ssh-ed25519 AAAA…`) and known by its fingerprint as `ssh-keygen -l` prints
// it (`SHA256:` + unpadded base64 of the SHA-256 of the key blob), so an operator can compare it
// with `ssh-keygen -lf` output or write it into devices/<id>.yaml.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

const KEY_TYPE = 'ssh-ed25519';

function sshString(data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

/** The OpenSSH wire blob of an ed25519 public key. */
function blobOf(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an ed25519 key');
  return Buffer.concat([sshString(Buffer.from(KEY_TYPE)), sshString(Buffer.from(jwk.x, 'base64url'))]);
}

/** `ssh-ed25519 AAAA…` of a public (or private) ed25519 key. */
export function sshPublicKey(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return `${KEY_TYPE} ${blobOf(pub).toString('base64')}`;
}

/** The key's fingerprint as `ssh-keygen -l` prints it; null when the line is not an ed25519 key. */
export function fingerprintOf(sshKey: string): string | null {
  const key = publicKeyFromSsh(sshKey);
  if (!key) return null;
  return `SHA256:${createHash('sha256').update(blobOf(key)).digest('base64').replace(/=+$/, '')}`;
}

/** Parses an `ssh-ed25519 AAAA… [comment]` line; null when it is anything else. */
export function publicKeyFromSsh(line: string): KeyObject | null {
  const m = /^ssh-ed25519 ([A-Za-z0-9+/]+={0,2})(?:\s.*)?$/.exec(line.trim());
  if (!m) return null;
  const blob = Buffer.from(m[1]!, 'base64');
  // string "ssh-ed25519", string key (32 bytes)
  if (blob.length !== 4 + KEY_TYPE.length + 4 + 32) return null;
  if (blob.readUInt32BE(0) !== KEY_TYPE.length || blob.subarray(4, 4 + KEY_TYPE.length).toString() !== KEY_TYPE) return null;
  if (blob.readUInt32BE(4 + KEY_TYPE.length) !== 32) return null;
  const raw = blob.subarray(8 + KEY_TYPE.length);
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch {
    return null;
  }
}

export interface DeviceKeyPair {
  /** PKCS#8 PEM: keep it 0600. */
  privatePem: string;
  publicKey: string;
  fingerprint: string;
}

export function generateDeviceKey(): DeviceKeyPair {
  const { privateKey } = generateKeyPairSync('ed25519');
  return deviceKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }).toString());
}

/** The key pair of a stored private key (PEM). Throws when it is not an ed25519 private key. */
export function deviceKeyFromPem(privatePem: string): DeviceKeyPair {
  const key = createPrivateKey(privatePem);
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`the device key is ${key.asymmetricKeyType ?? 'unknown'}, not ed25519`);
  const publicKey = sshPublicKey(key);
  return { privatePem, publicKey, fingerprint: fingerprintOf(publicKey)! };
}

/** base64 ed25519 signature of `message` (UTF-8). */
export function signWithDeviceKey(privatePem: string, message: string): string {
  return sign(null, Buffer.from(message), createPrivateKey(privatePem)).toString('base64');
}

/** Whether `signature` (base64) is the signature of `message` by the key of the `ssh-ed25519` line. */
export function verifyDeviceSignature(sshKey: string, message: string, signature: string): boolean {
  const key = publicKeyFromSsh(sshKey);
  if (!key) return false;
  const sig = Buffer.from(signature, 'base64');
  if (sig.length !== 64) return false;
  try {
    return verify(null, Buffer.from(message), key, sig);
  } catch {
    return false;
  }
}

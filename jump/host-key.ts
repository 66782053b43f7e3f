// The jump's host key: an OpenSSH-format ed25519 key (ssh2 cannot read PKCS8), made once with
// ssh-keygen and kept, so clients see the same key after every restart.
import { execaSync } from 'execa';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { DroverError } from '../lib/errors.js';

export function ensureHostKey(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      execaSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'drover-jump', '-f', path], { stdin: 'ignore', stdout: 'ignore', timeout: 30_000 });
    } catch (err) {
      throw new DroverError('HOST_KEY', `cannot make a host key with ssh-keygen at ${path}: ${(err as Error).message}`);
    }
  }
  const key = readFileSync(path);
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) throw new DroverError('HOST_KEY', `${path} is not a usable private key (OpenSSH format expected): ${parsed.message}`);
  return key;
}

/** The public half in authorized_keys/known_hosts form ("ssh-ed25519 AAAA…"). */
export function hostPublicKey(key: Buffer): string {
  const parsed = ssh2.utils.parseKey(key);
  if (parsed instanceof Error) throw parsed;
  const k = Array.isArray(parsed) ? parsed[0]! : parsed;
  return `${k.type} ${k.getPublicSSH().toString('base64')}`;
}

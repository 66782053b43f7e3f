// What a --verify-commits file holds, told from its content: an OpenSSH allowed_signers file
// (git's gpg.ssh.allowedSignersFile) or an ASCII-armored OpenPGP public key block (`gpg --armor
// --export`, one or several keys). Anything else is refused with a hint, never guessed at.
export type SignerFileKind = { kind: 'ssh' } | { kind: 'pgp' } | { kind: 'invalid'; reason: string };

const PGP_PUBLIC = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const PGP_PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----';
// An allowed_signers line: principals, optional options, then a key type and its base64 blob.
const SSH_KEY = /(?:^|\s)(?:ssh-ed25519|ssh-rsa|ssh-dss|ecdsa-sha2-nistp\d+|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com)\s+AAAA[0-9A-Za-z+/=]+/;

export function signerFileKind(content: Buffer | string): SignerFileKind {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  if (text.includes(PGP_PRIVATE)) return { kind: 'invalid', reason: 'holds an OpenPGP private key: give the public key (gpg --armor --export KEYID)' };
  if (text.includes(PGP_PUBLIC)) return { kind: 'pgp' };
  if (typeof content !== 'string' && content.length > 0 && (content[0]! & 0x80) !== 0) {
    return { kind: 'invalid', reason: 'looks like a binary OpenPGP key: export it ASCII-armored (gpg --armor --export KEYID)' };
  }
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length > 0 && lines.some((l) => SSH_KEY.test(l))) return { kind: 'ssh' };
  return {
    kind: 'invalid',
    reason: 'is neither an OpenSSH allowed_signers file (`alice@example.com namespaces="git" ssh-ed25519 AAAA…`) nor an OpenPGP public key block (-----BEGIN PGP PUBLIC KEY BLOCK-----)',
  };
}

/** The kind of a commit's signature, from its armor (the `gpgsig` header). */
export function signatureKind(sig: string): 'ssh' | 'pgp' | 'x509' | 'unknown' {
  const first = sig.trimStart().split('\n', 1)[0]!.trim();
  if (first === '-----BEGIN SSH SIGNATURE-----') return 'ssh';
  if (first === '-----BEGIN PGP SIGNATURE-----') return 'pgp';
  if (first === '-----BEGIN SIGNED MESSAGE-----') return 'x509';
  return 'unknown';
}

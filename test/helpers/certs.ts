// Certificates for tests, made with the real `openssl` command: a CA, and leaf certificates it
// signs (server or client, with SANs), also already expired ones.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Pem {
  cert: string;
  key: string;
}

const openssl = (args: string[], cwd: string): void => void execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });

/** A self-signed CA: <dir>/<name>.pem and <name>.key. */
export function makeCa(dir: string, name: string): Pem {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${name}`], dir);
  return { cert, key };
}

/**
 * A leaf certificate signed by `ca`; `san` as openssl writes it (`IP:127.0.0.1,DNS:localhost`,
 * `URI:drover:device:dev-1`); `days: -1` makes one that has already expired.
 */
export function issue(dir: string, ca: Pem, name: string, opts: { cn?: string; san?: string; days?: number; client?: boolean } = {}): Pem {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${opts.cn ?? name}`], dir);
  writeFileSync(ext, [`extendedKeyUsage=${opts.client ? 'clientAuth' : 'serverAuth'}`, ...(opts.san ? [`subjectAltName=${opts.san}`] : [])].join('\n') + '\n');
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-days', String(opts.days ?? 30), '-out', cert, '-extfile', ext], dir);
  return { cert, key };
}

/** CA + a server certificate for 127.0.0.1/localhost, in `dir`. */
export function serverPki(dir: string): { ca: Pem; server: Pem } {
  const ca = makeCa(dir, 'ca');
  return { ca, server: issue(dir, ca, 'server', { cn: 'localhost', san: 'IP:127.0.0.1,DNS:localhost' }) };
}

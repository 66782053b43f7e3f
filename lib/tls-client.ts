// The TLS side of a client of meta (agent, jump): an https.Agent that trusts the PEM bundle given
// with --ca (instead of the system store) and presents --cert/--key for mutual TLS. Certificates
// are always verified: there is no way to turn verification off.
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import { createSecureContext } from 'node:tls';
import { DroverError, errorMessage } from './errors.js';

export interface TlsClientFiles {
  /** PEM bundle of the certificate authorities trusted for meta. */
  ca?: string;
  /** Client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DroverError('CONFIG_INVALID', `--${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
  }
}

/** An https.Agent (keep-alive) for the given files; undefined when none is given (system CAs). */
export function createTlsAgent(files: TlsClientFiles, opts: { keepAlive?: boolean; maxSockets?: number } = {}): HttpsAgent | undefined {
  if (!files.ca && !files.cert && !files.key) return undefined;
  if (Boolean(files.cert) !== Boolean(files.key)) throw new DroverError('CONFIG_INVALID', '--cert and --key go together');
  const tls = {
    ...(files.ca ? { ca: readPem('ca', files.ca) } : {}),
    ...(files.cert ? { cert: readPem('cert', files.cert), key: readPem('key', files.key!) } : {}),
  };
  try {
    // Parsed now, so a bad file is a configuration error rather than a failure of every request.
    createSecureContext(tls);
  } catch (err) {
    throw new DroverError('CONFIG_INVALID', `TLS files (--ca/--cert/--key): ${errorMessage(err)}`);
  }
  return new HttpsAgent({ keepAlive: opts.keepAlive ?? true, ...(opts.maxSockets ? { maxSockets: opts.maxSockets } : {}), ...tls, rejectUnauthorized: true });
}

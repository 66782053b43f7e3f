// meta's TLS certificate and key (and, for mutual TLS, the client CA): read and checked at start,
// read again on SIGHUP and when a file changes (polled with fs.watchFile, which survives the
// rename a certificate renewal usually does). A new pair is installed with
// server.setSecureContext: connections already open, parked long polls included, are kept.
// A pair that does not load (a renewal half written) is logged and the old one stays.
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Server as HttpsServer } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { DroverError, errorMessage } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';

export interface TlsFiles {
  cert: string;
  key: string;
  /** PEM bundle of CAs whose client certificates are accepted (mutual TLS). */
  clientCa?: string | null;
}

/** Reads and checks the files; throws DroverError('TLS_INVALID') naming the file at fault. */
export function readTlsFiles(files: TlsFiles): SecureContextOptions {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new DroverError('TLS_INVALID', `--${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`);
    }
  };
  const opts: SecureContextOptions = { cert: read('tls-cert', files.cert), key: read('tls-key', files.key) };
  if (files.clientCa) opts.ca = read('client-ca', files.clientCa);
  try {
    createSecureContext(opts);
  } catch (err) {
    // OpenSSL's messages name no secret (e.g. "key values mismatch").
    throw new DroverError('TLS_INVALID', `--tls-cert ${files.cert} / --tls-key ${files.key}: ${errorMessage(err)}`);
  }
  return opts;
}

/** Server options for https.createServer (fastify's `https`). */
export function httpsServerOptions(files: TlsFiles): SecureContextOptions & { requestCert?: boolean; rejectUnauthorized?: boolean } {
  const opts = readTlsFiles(files);
  // With a client CA, certificates are asked for but checked per route (the legacy protocol,
  // /healthz and the dashboard stay reachable without one).
  return files.clientCa ? { ...opts, requestCert: true, rejectUnauthorized: false } : opts;
}

export interface TlsReloader {
  /** Reads the files again and installs them; false (and a warning) when they do not load. */
  reload(reason: string): boolean;
  close(): void;
}

export function watchTlsFiles(server: HttpsServer, files: TlsFiles, log: Logger, opts: { intervalMs?: number } = {}): TlsReloader {
  const reload = (reason: string): boolean => {
    try {
      server.setSecureContext(readTlsFiles(files));
      log.info({ reason, cert: files.cert }, 'TLS certificate reloaded');
      return true;
    } catch (err) {
      log.warn({ reason, error: errorMessage(err) }, 'TLS files did not load: the previous certificate stays in use');
      return false;
    }
  };
  const paths = [files.cert, files.key, ...(files.clientCa ? [files.clientCa] : [])];
  let timer: NodeJS.Timeout | null = null;
  const changed = (cur: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.ino === prev.ino && cur.size === prev.size) return;
    // Certificate and key are usually replaced one after the other: wait for both.
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      reload('file changed');
    }, 200);
    timer.unref();
  };
  for (const p of paths) watchFile(p, { interval: opts.intervalMs ?? 1000, persistent: false }, changed);
  return {
    reload,
    close() {
      if (timer) clearTimeout(timer);
      for (const p of paths) unwatchFile(p, changed);
    },
  };
}

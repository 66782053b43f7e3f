// The worker thread of a large download (download-worker-sink.ts): hashes the bytes it is handed
// and writes them to the part file while the main thread goes on receiving. Each buffer comes as a
// transferred ArrayBuffer and goes back the same way, to be filled again; the file is flushed in
// the background every 32 MiB, so the final fsync is short. Its code is plain JavaScript run with
// `eval`, so it needs no file of its own (the one-file agent and its binary have none) and no
// TypeScript loader: a small thread.

export interface HashWorkerData {
  fd: number;
  md5: boolean;
}

export type ToHashWorker = { type: 'data'; buf: ArrayBuffer; len: number } | { type: 'end' };
export type FromHashWorker =
  | { type: 'free'; buf: ArrayBuffer }
  | { type: 'done'; sha256: string; md5: string | null }
  | { type: 'error'; message: string; code?: string };

export const HASH_WORKER_SOURCE = `
'use strict';
const { createHash } = require('node:crypto');
const { fdatasync, writeSync } = require('node:fs');
const { parentPort: port, workerData } = require('node:worker_threads');
const SYNC_EVERY = 32 * 1024 * 1024;
const fd = workerData.fd;
const sha = createHash('sha256');
const md5 = workerData.md5 ? createHash('md5') : null;
let unsynced = 0;
let syncing = null;
let failed = false;
port.on('message', (m) => {
  if (failed) return;
  try {
    if (m.type === 'data') {
      const view = new Uint8Array(m.buf, 0, m.len);
      sha.update(view);
      if (md5) md5.update(view);
      for (let off = 0; off < m.len; ) off += writeSync(fd, view, off, m.len - off);
      port.postMessage({ type: 'free', buf: m.buf }, [m.buf]);
      unsynced += m.len;
      if (unsynced >= SYNC_EVERY && !syncing) {
        unsynced = 0;
        syncing = new Promise((resolve) => fdatasync(fd, () => resolve())).then(() => { syncing = null; });
      }
      return;
    }
    (syncing || Promise.resolve()).then(() => {
      port.postMessage({ type: 'done', sha256: sha.digest('hex'), md5: md5 ? md5.digest('hex') : null });
    });
  } catch (err) {
    failed = true;
    port.postMessage(typeof err.code === 'string' ? { type: 'error', message: err.message, code: err.code } : { type: 'error', message: String(err && err.message) });
  }
});
`;

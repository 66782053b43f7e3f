// The worker thread that hashes a large download (download-ring.ts) while the main thread receives
// and writes: the bytes stay in shared memory (a ring of slots), nothing is copied or posted per
// slot; the two threads only count slots with Atomics. Its code is plain JavaScript run with
// `eval`, so it needs no file of its own (the one-file agent and its binary have none) and no
// TypeScript loader: a small thread.

/** Int32 indexes in the control array shared with the worker. */
export const CTRL = { published: 0, hashed: 1, end: 2, lengths: 3 } as const;
/** Values of CTRL.end: 1 all published, hash what is left and answer; 2 give up. */
export const END = { done: 1, cancel: 2 } as const;

export interface HashWorkerData {
  data: SharedArrayBuffer;
  ctrl: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
  md5: boolean;
}

export type FromHashWorker = { sha256: string; md5: string | null };

export const HASH_WORKER_SOURCE = `
'use strict';
const { createHash } = require('node:crypto');
const { parentPort, workerData: w } = require('node:worker_threads');
const ctrl = new Int32Array(w.ctrl);
const sha = createHash('sha256');
const md5 = w.md5 ? createHash('md5') : null;
let next = 0;
for (;;) {
  const published = Atomics.load(ctrl, ${CTRL.published});
  if (next < published) {
    const i = next % w.slots;
    const view = new Uint8Array(w.data, i * w.slotBytes, ctrl[${CTRL.lengths} + i]);
    sha.update(view);
    if (md5) md5.update(view);
    next++;
    Atomics.store(ctrl, ${CTRL.hashed}, next);
    Atomics.notify(ctrl, ${CTRL.hashed});
    continue;
  }
  const end = Atomics.load(ctrl, ${CTRL.end});
  if (end === ${END.cancel}) break;
  if (end === ${END.done}) {
    if (next < Atomics.load(ctrl, ${CTRL.published})) continue; // published just before the end
    parentPort.postMessage({ sha256: sha.digest('hex'), md5: md5 ? md5.digest('hex') : null });
    break;
  }
  Atomics.wait(ctrl, ${CTRL.published}, published, 1000);
}
`;

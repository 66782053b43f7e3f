// Runs an unpack's streaming pass in a worker thread: its many small synchronous file writes do not
// hold up the agent's event loop (heartbeats, commands), and its heap is capped, so unpacking
// hundreds of thousands of entries cannot grow the agent's memory by more than a few tens of MB.
// The one-file agent (and the binary made from it) has no unpack-worker.js beside it: there the
// same streaming pass runs on the main thread (same checks, no heap cap of its own).
import { DroverError, type ErrorCode } from '../lib/errors.js';
import { startAgentWorker } from './start-worker.js';
import { extractStreaming, type ExtractRequest } from './unpack-stream.js';
import type { WorkerAnswer } from './unpack-worker.js';

const LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48, stackSizeMb: 4 };

export function extractInWorker(req: ExtractRequest): Promise<{ files: number; bytes: number }> {
  const worker = startAgentWorker('unpack-worker', req, LIMITS);
  if (!worker) return extractStreaming(req);
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (a: WorkerAnswer) => {
      settled = true;
      if (a.ok) return resolve({ files: a.files, bytes: a.bytes });
      if (a.droverCode) return reject(new DroverError(a.droverCode as ErrorCode, a.message));
      reject(Object.assign(new Error(a.message), a.code ? { code: a.code } : {}));
    });
    worker.once('error', (err) => {
      if (!settled) reject(new DroverError('UNPACK_FAILED', `the unpack worker failed: ${err.message}`, { cause: err }));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new DroverError('UNPACK_FAILED', `the unpack worker exited with code ${code}`));
      settled = true;
    });
  });
}

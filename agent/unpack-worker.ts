// Worker thread entry of an unpack: runs extractStreaming and posts its result or its error.
import { parentPort, workerData } from 'node:worker_threads';
import { DroverError } from '../lib/errors.js';
import { extractStreaming, type ExtractRequest } from './unpack-stream.js';

export type WorkerAnswer =
  | { ok: true; files: number; bytes: number }
  | { ok: false; droverCode?: string; code?: string; message: string };

extractStreaming(workerData as ExtractRequest).then(
  (r) => parentPort!.postMessage({ ok: true, ...r } satisfies WorkerAnswer),
  (err: unknown) => {
    const e = err as Error & { code?: unknown };
    parentPort!.postMessage({
      ok: false,
      ...(err instanceof DroverError ? { droverCode: err.code } : {}),
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      message: e instanceof Error ? e.message : String(err),
    } satisfies WorkerAnswer);
  },
);

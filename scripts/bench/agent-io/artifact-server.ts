// The artifact of the download benchmark and the local HTTP server that serves it (a separate
// process, the same one for curl and for ours). The file is written and synced before the rounds,
// so its write-back does not land in one of them.
//
// The default server ('lean') reads the file into four fixed 1 MiB buffers and reuses each once
// the socket has taken it: it costs 0.2-0.6 s of CPU per GiB, about the same in every round. The
// first server of this benchmark ('stream': fs.createReadStream piped into the response, kept for
// comparison with BENCH_DOWNLOAD_SERVER=stream) allocates a new 1 MiB buffer per read, and its
// page faults and collections cost 0.8-2.3 s per GiB, varying from round to round (measured on
// the 2-CPU machine); on two CPUs that competes with the client measured and made the ratio to
// curl swing. On a device the server is elsewhere: the client has the machine to itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';

const MiB = 1024 * 1024;

/** Writes `bytes` of random data to `path`, synced; returns its sha256. */
export function makeArtifact(path: string, bytes: number): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(16 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += buf.length) {
      randomFillSync(buf);
      const chunk = buf.subarray(0, Math.min(buf.length, bytes - done));
      hash.update(chunk);
      writeSync(fd, chunk);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

export type ServerKind = 'lean' | 'stream';

const SERVERS: Record<ServerKind, string> = {
  lean: `
    const http = require('node:http'); const fs = require('node:fs');
    const file = process.argv[1]; const size = fs.statSync(file).size;
    const SLOTS = 4, BYTES = 1 << 20;
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      res.flushHeaders();
      const bufs = Array.from({ length: SLOTS }, () => Buffer.allocUnsafe(BYTES));
      let fd = fs.openSync(file, 'r');
      let at = 0, inFlight = 0, next = 0, eof = false, closed = false;
      const release = () => { if (fd !== -1 && inFlight === 0) { fs.closeSync(fd); fd = -1; } };
      res.once('close', () => { closed = true; release(); });
      const pump = () => {
        while (!eof && !closed && inFlight < SLOTS) {
          const buf = bufs[next++ % SLOTS];
          const n = fs.readSync(fd, buf, 0, BYTES, at);
          if (n === 0) { eof = true; break; }
          at += n; inFlight++;
          res.socket.write(n === BYTES ? buf : buf.subarray(0, n), () => { inFlight--; pump(); });
        }
        if ((eof || closed) && inFlight === 0) { release(); if (!closed) res.end(); }
      };
      pump();
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
  `,
  stream: `
    const http = require('node:http'); const fs = require('node:fs');
    const file = process.argv[1]; const size = fs.statSync(file).size;
    http.createServer((req, res) => {
      res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
      fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
  `,
};

/** Serves `file` at any path on 127.0.0.1 from a child process. */
export function startArtifactServer(file: string, kind: ServerKind): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVERS[kind], file], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    child.stdout!.once('data', (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}/artifact.tar.gz`, child }));
  });
}

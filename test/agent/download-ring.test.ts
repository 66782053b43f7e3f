// The ring a download is written through (agent/download-ring.ts): a background flush that fails
// fails the download. The kernel reports a write-back error once, to that flush; the final fsync
// (on a new descriptor) would not see it, so a file that never reached the disk would be renamed
// into place. /dev/null takes every write and refuses fdatasync (EINVAL), like a disk failing.
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Digests } from '../../agent/download-digests.js';
import { DownloadRing } from '../../agent/download-ring.js';

const MiB = 1024 * 1024;

/** Puts `bytes` through the ring as a socket would (fill the region, commit, wait when asked). */
async function feed(ring: DownloadRing, bytes: number): Promise<void> {
  for (let done = 0; done < bytes; ) {
    const region = ring.region();
    const n = Math.min(region.length, bytes - done);
    region.fill(done & 0xff, 0, n);
    done += n;
    if (!ring.commit(n)) await ring.ready();
  }
}

describe('DownloadRing', () => {
  for (const where of ['main', 'worker'] as const) {
    it(`fails the download when a background flush fails (hashed on the ${where} thread)`, async () => {
      const fd = openSync('/dev/null', 'w');
      const ring = new DownloadRing({ fd, state: { received: 0 }, limit: 1024 * MiB, total: null, digests: where === 'main' ? new Digests(false) : null, md5: false });
      try {
        // Past the first flush (every 32 MiB); the flush fails on the thread pool while bytes still come.
        await feed(ring, 40 * MiB).catch((err: NodeJS.ErrnoException) => assert.equal(err.code, 'EINVAL'));
        await assert.rejects(ring.finish(), (err: NodeJS.ErrnoException) => err.code === 'EINVAL' && /fdatasync/.test(err.message));
        assert.equal(ring.stats.flushes >= 1, true);
      } finally {
        await ring.close();
        closeSync(fd);
      }
    });
  }
});

// The digests of a download, computed on this thread (a resumed transfer continues the digest of
// its part file here; a new one is hashed by download-ring.ts's worker or here).
import { createHash, type Hash } from 'node:crypto';

export interface Sums {
  sha256: string;
  md5: string | null;
}

export class Digests {
  sha256: Hash = createHash('sha256');
  md5: Hash | null;
  constructor(withMd5: boolean) {
    this.md5 = withMd5 ? createHash('md5') : null;
  }
  update(buf: Uint8Array): void {
    this.sha256.update(buf);
    this.md5?.update(buf);
  }
  /** The final digests (once). */
  hex(): Sums {
    return { sha256: this.sha256.digest('hex'), md5: this.md5 ? this.md5.digest('hex') : null };
  }
}

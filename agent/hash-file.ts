// Streams a file through sha256 (and md5 when asked), never holding it in memory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function hashFile(path: string, withMd5: boolean): Promise<{ sha256: string; md5: string | null; bytes: number }> {
  const sha = createHash('sha256');
  const md5 = withMd5 ? createHash('md5') : null;
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    sha.update(chunk as Buffer);
    md5?.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: sha.digest('hex'), md5: md5 ? md5.digest('hex') : null, bytes };
}

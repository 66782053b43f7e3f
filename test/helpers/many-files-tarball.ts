// A .tar.gz of many small files in folders of 1000 (`pkg/dN/fI.txt`), built block by block in
// memory: the shape that made unpacking slow and memory-hungry (150,000 files ≈ 1.2 MB).
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';

export function writeManyFilesTarball(path: string, files: number): void {
  const blocks: Buffer[] = [];
  const header = (p: string, type: 'File' | 'Directory', size: number, mode: number): Buffer => {
    const b = Buffer.alloc(512);
    new Header({ path: p, type, size, mode, uid: 0, gid: 0, mtime: new Date(1_700_000_000_000), uname: 'root', gname: 'root' }).encode(b, 0);
    return b;
  };
  for (let i = 0; i < files; i++) {
    if (i % 1000 === 0) blocks.push(header(`pkg/d${i / 1000}/`, 'Directory', 0, 0o755));
    const body = Buffer.from(`file ${i}\n`);
    blocks.push(header(`pkg/d${Math.floor(i / 1000)}/f${i}.txt`, 'File', body.length, 0o644), body, Buffer.alloc(512 - body.length));
  }
  blocks.push(Buffer.alloc(1024));
  writeFileSync(path, gzipSync(Buffer.concat(blocks), { level: 9 }));
}

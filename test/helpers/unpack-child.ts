// Unpacks one tarball in a fresh process and prints what it cost in memory, as JSON:
// { files, rssBeforeMB, peakRssMB }. Usage: node --import tsx unpack-child.ts TARBALL DEST MAX_ENTRIES
// A small unpack first loads (and, from sources, compiles) every module; then the peak RSS is
// reset (Linux: /proc/self/clear_refs), so the figure is what the big unpack adds.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { unpackTarball } from '../../agent/unpack.js';
import { writeManyFilesTarball } from './many-files-tarball.js';

const [tarball, dest, maxEntries] = process.argv.slice(2);
writeManyFilesTarball(`${dest}.warm.tgz`, 10);
await unpackTarball({ tarball: `${dest}.warm.tgz`, destDir: `${dest}.warm`, maxBytes: 1 << 20, maxEntries: 100 });
rmSync(`${dest}.warm`, { recursive: true, force: true });
rmSync(`${dest}.warm.tgz`, { force: true });
const statusKb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);
writeFileSync('/proc/self/clear_refs', '5');
const rssBefore = statusKb('VmRSS');
const r = await unpackTarball({ tarball: tarball!, destDir: dest!, maxBytes: 1 << 30, maxEntries: Number(maxEntries) });
process.stdout.write(JSON.stringify({ files: r.files, rssBeforeMB: rssBefore / 1024, peakRssMB: statusKb('VmHWM') / 1024 }) + '\n');

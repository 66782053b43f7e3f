// A TreeReader over a directory on disk (a fleet repository's working tree).
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { TreeReader } from '../specs/load/tree-reader.js';

export function dirTreeReader(root: string): TreeReader {
  return {
    async list() {
      const out: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          if (entry.name === '.git' || entry.name === 'node_modules') continue;
          const full = join(dir, entry.name);
          if (entry.isDirectory()) await walk(full);
          else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
        }
      };
      await walk(root);
      return out.sort();
    },
    read: (path) => readFile(join(root, path), 'utf8'),
  };
}

// How the loader sees a fleet repository: a directory on disk, a git commit's tree, a test fixture.
export interface TreeReader {
  /** Every file path in the tree, relative, with `/` separators. */
  list(): Promise<string[]>;
  /** A file's text (UTF-8). */
  read(path: string): Promise<string>;
}

/** A tree held in memory: `{ 'packages/a.yaml': '...' }`. */
export function memoryTree(files: Record<string, string>): TreeReader {
  return {
    list: async () => Object.keys(files).sort(),
    read: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`no such file: ${path}`);
      return text;
    },
  };
}

/**
 * The part of a tree under `prefix` (a fleet kept in a subfolder of a larger repository),
 * with paths relative to it. An empty prefix, `.` or `/` is the whole tree.
 */
export function subtreeReader(reader: TreeReader, prefix: string): TreeReader {
  const dir = prefix.replace(/^\.?\/+/, '').replace(/\/+$/, '');
  if (dir === '' || dir === '.') return reader;
  if (dir.split('/').some((seg) => seg === '..' || seg === '')) throw new Error(`not a folder inside the repository: ${prefix}`);
  const head = `${dir}/`;
  return {
    list: async () => (await reader.list()).filter((f) => f.startsWith(head)).map((f) => f.slice(head.length)),
    read: (path) => reader.read(head + path),
  };
}

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

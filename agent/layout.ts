// The agent's folders under --root:
//   packages/<name>/<version>/   unpacked, complete versions
//   packages/<name>/current      symlink to the running version, switched atomically
//   state/                       desired.json, local.json, the command journal
//   downloads/                   verified tarballs and resumable `.part` files
//   logs/                        output of supervised (`run:`) processes
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface Layout {
  root: string;
  packages: string;
  state: string;
  downloads: string;
  logs: string;
  packageDir(name: string): string;
  versionDir(name: string, version: string): string;
  download(name: string, version: string): string;
}

export function layoutOf(root: string): Layout {
  const packages = join(root, 'packages');
  const downloads = join(root, 'downloads');
  return {
    root,
    packages,
    state: join(root, 'state'),
    downloads,
    logs: join(root, 'logs'),
    packageDir: (name) => join(packages, name),
    versionDir: (name, version) => join(packages, name, version),
    download: (name, version) => join(downloads, `${name}-${version}.tar.gz`),
  };
}

export function ensureLayout(l: Layout): void {
  for (const dir of [l.packages, l.state, l.downloads, l.logs]) mkdirSync(dir, { recursive: true, mode: 0o750 });
}

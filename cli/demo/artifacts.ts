// The demo's artifacts: the example packages built with examples/packages/build.sh, served by a
// small static HTTP server on 127.0.0.1:7071 (or another port when that one is taken), and the
// fleet copy's URLs and checksums rewritten to match what was built and where it is served.
import { execaSync } from 'execa';
import { createReadStream, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';

export const DEMO_ARTIFACT_HOST = '127.0.0.1:7071';
const URL_RE = /^(\s*)url:\s*http:\/\/127\.0\.0\.1:7071\/([A-Za-z0-9][A-Za-z0-9._-]*?)-(\d[A-Za-z0-9.+~_-]*)\.tar\.gz\s*$/;

export interface BuiltArtifact {
  name: string;
  version: string;
  sha256: string;
  md5: string;
}

/** Every YAML file of the fleet copy, recursively. */
function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out;
}

/** The (name, version) pairs the fleet's artifact URLs on 127.0.0.1:7071 name. */
export function referencedArtifacts(fleetDir: string): { name: string; version: string }[] {
  const seen = new Map<string, { name: string; version: string }>();
  for (const file of yamlFiles(fleetDir)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = URL_RE.exec(line);
      if (m) seen.set(`${m[2]}-${m[3]}`, { name: m[2]!, version: m[3]! });
    }
  }
  return [...seen.values()];
}

export function buildArtifacts(repoRoot: string, wanted: { name: string; version: string }[], outDir: string): BuiltArtifact[] {
  const script = join(repoRoot, 'examples/packages/build.sh');
  return wanted.map(({ name, version }) => {
    execaSync(script, [name, version, outDir]);
    const file = join(outDir, `${name}-${version}.tar.gz`);
    const first = (f: string) => readFileSync(f, 'utf8').split(/\s+/)[0]!;
    return { name, version, sha256: first(`${file}.sha256`), md5: first(`${file}.md5`) };
  });
}

/**
 * Rewrites the fleet copy: artifact URLs to `host`, and the sha256/md5 lines of each artifact
 * block to the built checksums. Returns how many files changed.
 */
export function rewriteFleet(fleetDir: string, built: BuiltArtifact[], host: string): number {
  const byFile = new Map(built.map((b) => [`${b.name}-${b.version}`, b]));
  let changed = 0;
  for (const file of yamlFiles(fleetDir)) {
    const lines = readFileSync(file, 'utf8').split('\n');
    let current: { indent: string; art: BuiltArtifact } | null = null;
    const out = lines.map((line) => {
      const m = URL_RE.exec(line);
      if (m) {
        const art = byFile.get(`${m[2]}-${m[3]}`);
        current = art ? { indent: m[1]!, art } : null;
        return line.replace(DEMO_ARTIFACT_HOST, host);
      }
      if (current && line.startsWith(current.indent) && !line.startsWith(`${current.indent} `)) {
        const c: { indent: string; art: BuiltArtifact } = current;
        if (/^\s*sha256:/.test(line)) return `${c.indent}sha256: ${c.art.sha256}`;
        if (/^\s*md5:/.test(line)) return `${c.indent}md5: ${c.art.md5}`;
        if (/^\s*(size|via):/.test(line)) return line;
      }
      current = null;
      return line;
    });
    const text = out.join('\n');
    if (text !== lines.join('\n')) {
      writeFileSync(file, text);
      changed++;
    }
  }
  return changed;
}

/** The size of a regular file, or null once 404 is answered. */
export function fileSizeOr404(file: string, res: ServerResponse): number | null {
  try {
    const st = statSync(file);
    if (st.isFile()) return st.size;
  } catch {
    /* missing */
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  return null;
}

/** A static file server for the built artifacts; 7071 when free, else a port the OS picks. */
export async function serveArtifacts(dir: string, preferredPort = 7071): Promise<{ host: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const name = basename(decodeURIComponent((req.url ?? '/').split('?')[0]!));
    const size = fileSizeOr404(join(dir, name), res);
    if (size === null) return;
    const file = join(dir, name);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') return void res.end();
    createReadStream(file).pipe(res);
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  try {
    await listen(preferredPort);
  } catch {
    await listen(0);
  }
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

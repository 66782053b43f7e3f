// The agent builds meta serves to devices (GET /v1/agent…): the one-file agent (drover-agent.mjs)
// and standalone binaries (drover-agent-<platform>-<arch>) found in a folder, each with its size
// and sha256 (hashed once per file change), and the version compiled into the one-file agent.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, openSync, readdirSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const AGENT_FILE = /^drover-agent(?:\.mjs|-[a-z0-9]+-[a-z0-9]+)$/;

export interface AgentBuild {
  name: string;
  size: number;
  sha256: string;
  /** From the one-file agent's first line; null for binaries. */
  version: string | null;
  commit: string | null;
}

/** This installation's dist/ (built: dist/reconciler/agent-builds/ → dist/; a checkout: ./dist/). */
export function defaultAgentDir(): string {
  const candidates = [new URL('../../', import.meta.url), new URL('../../dist/', import.meta.url)].map((u) => fileURLToPath(u));
  return candidates.find((d) => existsSync(join(d, 'drover-agent.mjs'))) ?? candidates[0]!;
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('error', reject).on('end', () => resolve(h.digest('hex')));
  });
}

function bannerOf(path: string): { version: string | null; commit: string | null } {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(300);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const m = /^\/\/ drover-agent (\S+) \(commit ([^)\s]+)\)/.exec(buf.subarray(0, n).toString('utf8'));
    return { version: m?.[1] ?? null, commit: m?.[2] ?? null };
  } finally {
    closeSync(fd);
  }
}

export class AgentBuilds {
  private readonly cache = new Map<string, { key: string; build: AgentBuild }>();

  constructor(readonly dir: string) {}

  path(name: string): string | null {
    if (!AGENT_FILE.test(name)) return null;
    const p = join(this.dir, name);
    return existsSync(p) ? p : null;
  }

  async get(name: string): Promise<AgentBuild | null> {
    const p = this.path(name);
    if (!p) return null;
    const st = statSync(p);
    const key = `${st.size}:${st.mtimeMs}`;
    const hit = this.cache.get(name);
    if (hit?.key === key) return hit.build;
    const build: AgentBuild = { name, size: st.size, sha256: await hashFile(p), ...(name.endsWith('.mjs') ? bannerOf(p) : { version: null, commit: null }) };
    this.cache.set(name, { key, build });
    return build;
  }

  async list(): Promise<AgentBuild[]> {
    if (!existsSync(this.dir)) return [];
    const names = readdirSync(this.dir).filter((n) => AGENT_FILE.test(n)).sort();
    const out: AgentBuild[] = [];
    for (const n of names) {
      const b = await this.get(n);
      if (b) out.push(b);
    }
    return out;
  }
}

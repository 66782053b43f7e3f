// A real meta for the dashboard's tests and benchmark: a git server on loopback serving a copy of
// examples/fleet, meta in this process (startMeta, 127.0.0.1:0) with a clock that can be set back,
// and devices created by sending real heartbeats in various conditions: in sync, progressing,
// failed (a package failing), offline (seen long ago), and a command whose staged rollout pauses
// because its first device fails it.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../lib/log.js';
import { loadMetaConfig } from '../../../reconciler/config.js';
import { startMeta, type RunningMeta } from '../../../reconciler/main.js';
import { startGitServer, type GitServer, type TestRepo } from '../../helpers/git-server.js';
import { ADMIN_TOKEN, AGENT_TOKEN, ROOT } from '../../helpers/meta-process.js';

export type Kind = 'insync' | 'progressing' | 'failed' | 'offline';

export interface SeededMeta {
  url: string;
  adminToken: string;
  agentToken: string;
  meta: RunningMeta;
  git: GitServer;
  repo: TestRepo;
  /** What each seeded device should show, by id. */
  expected: Map<string, Kind | 'commandFailed'>;
  /** Sends one device's heartbeats so that it ends up in `kind`; returns the etag it holds. */
  seed(id: string, labels: Record<string, string>, kind: Kind): Promise<void>;
  /** Heartbeats every in-sync device again until their documents stop changing (rollout releases). */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

interface Doc {
  packages: { name: string; version: string; state: string }[];
  commands: { id: string; name: string }[];
}

const FAILING_COMMAND = 'clean-tmp';
export const FAILING_OUTPUT = "find: '/tmp/drover-demo-locked': Permission denied\nclean-tmp: giving up\n";
export const PACKAGE_ERROR = 'control start exited with code 1';

export interface SeedOptions {
  /** Extra meta flags. */
  args?: string[];
  /** Edits the copy of examples/fleet before it becomes the repository's first commit. */
  edit?: (dir: string) => void;
}

export async function startSeededMeta(opts: SeedOptions = {}): Promise<SeededMeta> {
  const git = await startGitServer();
  const source = mkdtempSync(join(tmpdir(), 'drover-dash-fleet-'));
  cpSync(join(ROOT, 'examples/fleet'), source, { recursive: true });
  opts.edit?.(source);
  const repo = git.createRepo('fleet', source);
  rmSync(source, { recursive: true, force: true });
  const dataDir = mkdtempSync(join(tmpdir(), 'drover-dash-'));
  const { config } = loadMetaConfig(
    ['--repo', repo.url, '--data', dataDir, '--listen', '127.0.0.1:0', '--agent-token', AGENT_TOKEN, '--admin-token', ADMIN_TOKEN, '--max-in-flight', '100000', '--max-lag', '30s', ...(opts.args ?? [])],
    {},
  );
  let offset = 0;
  const meta = await startMeta(config!, { log: silentLogger(), clock: { now: () => Date.now() + offset } });
  const url = meta.url;
  const expected = new Map<string, Kind | 'commandFailed'>();
  const held = new Map<string, { labels: Record<string, string>; etag: string; doc: Doc }>();

  async function post(body: unknown): Promise<{ etag: string; desired?: Doc }> {
    const res = await fetch(`${url}/v1/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AGENT_TOKEN}` },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`heartbeat answered ${res.status}: ${text}`);
    return JSON.parse(text);
  }

  const device = (id: string, labels: Record<string, string>) => ({ id, hostname: `${id}.fleet.test`, labels, facts: { os: 'linux', arch: 'x64', agentVersion: '0.1.0' } });

  /** The report of an agent that applied `doc`: packages as desired, commands run. */
  function converged(id: string, labels: Record<string, string>, etag: string, doc: Doc) {
    const t = new Date().toISOString();
    let failedCommand = false;
    const commands = doc.commands.map((c) => {
      const fail = c.name === FAILING_COMMAND;
      failedCommand ||= fail;
      return {
        id: c.id, name: c.name, status: fail ? 'failed' : 'succeeded', exitCode: fail ? 1 : 0,
        startedAt: t, finishedAt: t, durationMs: 42, outputTail: fail ? FAILING_OUTPUT : `${c.name} ok\n`, truncated: false,
      };
    });
    const packages = doc.packages.map((p) => ({ name: p.name, version: p.state === 'absent' ? null : p.version, state: p.state, phase: 'idle' }));
    return { body: { protocol: 1, device: device(id, labels), etag, appliedEtag: etag, packages, commands }, failedCommand };
  }

  async function converge(id: string, labels: Record<string, string>): Promise<boolean> {
    let state = held.get(id);
    if (!state) {
      const first = await post({ protocol: 1, device: device(id, labels), etag: null, appliedEtag: null, packages: [], commands: [] });
      state = { labels, etag: first.etag, doc: first.desired! };
    }
    let changed = false;
    for (let i = 0; i < 5; i++) {
      const report = converged(id, labels, state.etag, state.doc);
      expected.set(id, report.failedCommand ? 'commandFailed' : expected.get(id) === 'offline' ? 'offline' : 'insync');
      const answer = await post(report.body);
      if (answer.etag === state.etag) break;
      state = { labels, etag: answer.etag, doc: answer.desired! };
      changed = true;
    }
    held.set(id, state);
    return changed;
  }

  async function seed(id: string, labels: Record<string, string>, kind: Kind): Promise<void> {
    if (kind === 'progressing') {
      await post({ protocol: 1, device: device(id, labels), etag: null, appliedEtag: null, packages: [], commands: [] });
      expected.set(id, kind);
      return;
    }
    if (kind === 'failed') {
      const first = await post({ protocol: 1, device: device(id, labels), etag: null, appliedEtag: null, packages: [], commands: [] });
      const p = first.desired!.packages[0];
      const packages = p
        ? [{ name: p.name, version: null, state: 'failed', phase: 'idle', targetVersion: p.version, error: PACKAGE_ERROR, outputTail: `starting ${p.name} ${p.version}\nError: listen tcp :8080: bind: address already in use\n` }]
        : [];
      await post({ protocol: 1, device: device(id, labels), etag: first.etag, appliedEtag: null, packages, commands: [] });
      expected.set(id, kind);
      return;
    }
    if (kind === 'offline') {
      offset = -6 * 3600_000; // seen six hours ago: offline after 3 × 60 s
      try {
        expected.set(id, 'offline');
        await converge(id, labels);
      } finally {
        offset = 0;
      }
      held.delete(id);
      return;
    }
    await converge(id, labels);
  }

  async function settle(): Promise<void> {
    for (let round = 0; round < 20; round++) {
      await new Promise((r) => setTimeout(r, 250)); // the rollout gate re-evaluates (throttled)
      let changed = false;
      for (const [id, s] of held) if (await converge(id, s.labels)) changed = true;
      if (!changed && round > 0) return;
    }
  }

  return {
    url, adminToken: ADMIN_TOKEN, agentToken: AGENT_TOKEN, meta, git, repo, expected, seed, settle,
    async stop() {
      await meta.close();
      await git.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Expected devices per condition from what the seed reported. */
export function expectedCounts(expected: Map<string, string>): Record<string, number> {
  const counts: Record<string, number> = { InSync: 0, Progressing: 0, Failed: 0, Offline: 0 };
  for (const kind of expected.values()) {
    if (kind === 'insync') counts.InSync!++;
    else if (kind === 'progressing') counts.Progressing!++;
    else if (kind === 'offline') counts.Offline!++;
    else counts.Failed!++;
  }
  return counts;
}

// A real git server for tests: `git http-backend` (smart HTTP) behind a small node HTTP server on
// 127.0.0.1:0, serving bare repositories from a temp dir. Repositories are created from a directory
// (e.g. examples/fleet) and changed with `commit()`, which commits in a working clone and pushes.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitServerOptions {
  /** Require HTTP basic auth with these credentials (to test token auth). */
  auth?: { username: string; password: string };
}

export interface TestRepo {
  name: string;
  /** http://127.0.0.1:PORT/NAME.git (without credentials). */
  url: string;
  /** The bare repository on disk. */
  bare: string;
  /** A working clone the helpers commit in. */
  work: string;
  /** Writes (string) or deletes (null) files, commits and pushes; returns the new commit id. */
  commit(changes: Record<string, string | null>, message?: string): string;
  /** The branch's current commit id. */
  head(): string;
}

export interface GitServer {
  /** http://127.0.0.1:PORT */
  url: string;
  root: string;
  /** Requests served so far (fetches from meta). */
  requests: number;
  /** Makes requests fail with 503 while true (an unreachable server, from the client's view). */
  down: boolean;
  createRepo(name: string, fromDir?: string, opts?: { branch?: string }): TestRepo;
  close(): Promise<void>;
}

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Operator',
  GIT_AUTHOR_EMAIL: 'ops@example.test',
  GIT_COMMITTER_NAME: 'Test Operator',
  GIT_COMMITTER_EMAIL: 'ops@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  HOME: tmpdir(),
};

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function backend(root: string, req: IncomingMessage, res: ServerResponse, remoteUser: string | undefined): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    REQUEST_METHOD: req.method ?? 'GET',
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: '127.0.0.1',
    ...(remoteUser ? { REMOTE_USER: remoteUser } : {}),
    ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
    ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
  };
  const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    let sep = head.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep < 0) {
      sep = head.indexOf('\n\n');
      sepLen = 2;
    }
    if (sep < 0) return;
    headersDone = true;
    let status = 200;
    for (const line of head.subarray(0, sep).toString('utf8').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 200;
      else res.setHeader(key, value);
    }
    res.statusCode = status;
    res.write(head.subarray(sep + sepLen));
  });
  child.stderr.resume();
  child.on('close', () => {
    if (!headersDone) {
      res.statusCode = 500;
    }
    res.end();
  });
  child.on('error', () => {
    res.statusCode = 500;
    res.end();
  });
}

export async function startGitServer(opts: GitServerOptions = {}): Promise<GitServer> {
  const root = mkdtempSync(join(tmpdir(), 'drover-git-'));
  mkdirSync(join(root, 'repos'));
  mkdirSync(join(root, 'work'));
  const state = { requests: 0, down: false };
  const server = createServer((req, res) => {
    state.requests++;
    if (state.down) {
      res.statusCode = 503;
      res.end('down for the test\n');
      return;
    }
    let user: string | undefined;
    if (opts.auth) {
      const header = req.headers.authorization ?? '';
      const expected = 'Basic ' + Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64');
      if (header !== expected) {
        res.statusCode = 401;
        res.setHeader('WWW-Authenticate', 'Basic realm="git"');
        res.end('authentication required\n');
        return;
      }
      user = opts.auth.username;
    }
    backend(join(root, 'repos'), req, res, user);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const gs: GitServer = {
    url: base,
    root,
    get requests() {
      return state.requests;
    },
    get down() {
      return state.down;
    },
    set down(v: boolean) {
      state.down = v;
    },
    createRepo(name, fromDir, repoOpts = {}) {
      const branch = repoOpts.branch ?? 'main';
      const bare = join(root, 'repos', `${name}.git`);
      const work = join(root, 'work', name);
      execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch', branch, bare], { env: { ...process.env, ...GIT_ENV } });
      mkdirSync(work, { recursive: true });
      git(work, 'init', '--quiet', '--initial-branch', branch);
      git(work, 'remote', 'add', 'origin', bare);
      if (fromDir) cpSync(fromDir, work, { recursive: true });
      else writeFileSync(join(work, 'fleet.yaml'), 'heartbeat: 60s\n');
      git(work, 'add', '-A');
      git(work, 'commit', '--quiet', '-m', 'initial fleet');
      git(work, 'push', '--quiet', 'origin', branch);
      return {
        name,
        url: `${base}/${name}.git`,
        bare,
        work,
        commit(changes, message = 'change fleet') {
          for (const [path, text] of Object.entries(changes)) {
            const full = join(work, path);
            if (text === null) rmSync(full, { force: true });
            else {
              mkdirSync(dirname(full), { recursive: true });
              writeFileSync(full, text);
            }
          }
          git(work, 'add', '-A');
          git(work, 'commit', '--quiet', '--allow-empty', '-m', message);
          git(work, 'push', '--quiet', 'origin', branch);
          return git(work, 'rev-parse', 'HEAD');
        },
        head: () => git(work, 'rev-parse', 'HEAD'),
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(root, { recursive: true, force: true });
    },
  };
  return gs;
}

// A real PostgreSQL for tests, from Debian's `postgresql` package: `initdb` into a temp folder,
// `pg_ctl start` on a free loopback port, password auth (scram) over TCP. PostgreSQL refuses to run
// as root, so when the tests run as root the server runs as the `postgres` user (runuser).
// Each test creates its own database with createDatabase() and drops nothing: stop() removes it all.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from './free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  /** postgres://drover:PASSWORD@127.0.0.1:PORT/postgres */
  adminUrl: string;
  port: number;
  password: string;
  /** Creates a fresh database and returns its URL (with the password). */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m fast`), keeping its data: the store is unreachable until start(). */
  halt(): void;
  /** Starts the halted server again on the same port and data. */
  start(): void;
  stop(): Promise<void>;
}

const USER = 'drover';

/** The folder holding initdb/pg_ctl: $DROVER_PG_BIN, else the newest /usr/lib/postgresql/N/bin. */
export function postgresBinDir(): string | null {
  if (process.env.DROVER_PG_BIN) return process.env.DROVER_PG_BIN;
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin/initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0]!, 'bin') : null;
}

/** Why PostgreSQL tests cannot run here (null when they can). In CI a missing server fails the tests. */
export function postgresMissing(): string | null {
  if (postgresBinDir()) return null;
  return process.env.CI ? null : 'PostgreSQL is not installed (Debian package postgresql)';
}

export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install postgresql (or set DROVER_PG_BIN)');
  const root = mkdtempSync(join(tmpdir(), 'drover-pg-'));
  const asRoot = process.getuid?.() === 0;
  let uid = -1;
  let gid = -1;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(root, uid, gid);
  }
  chmodSync(root, 0o700);
  const run = (cmd: string, args: string[]): string => {
    const full = join(bin, cmd);
    return asRoot
      ? execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: root })
      : execFileSync(full, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  };
  const password = `pw-${Math.random().toString(36).slice(2)}-${Date.now().toString(36)}`;
  const pwfile = join(root, 'pwfile');
  writeFileSync(pwfile, password + '\n', { mode: 0o600 });
  if (asRoot) chownSync(pwfile, uid, gid);
  const data = join(root, 'data');
  run('initdb', ['-D', data, '-U', USER, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C']);
  rmSync(pwfile);
  let port = 0;
  let lastErr: unknown;
  const settings = (): string =>
    [
      `-p ${port}`, `-k ${root}`, `-c listen_addresses=127.0.0.1`, '-c max_connections=200', '-c shared_buffers=32MB',
      ...(opts.fsync ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    ].join(' ');
  const pgStart = (): void => void run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', join(root, 'log'), '-o', settings()]);
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    try {
      pgStart();
      lastErr = null;
      break;
    } catch (err) {
      lastErr = err; // the port was taken in between: try another
    }
  }
  if (lastErr) {
    rmSync(root, { recursive: true, force: true });
    throw lastErr;
  }
  const adminUrl = `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  let n = 0;
  return {
    adminUrl,
    port,
    password,
    async createDatabase(name) {
      const db = name ?? `t${process.pid}_${++n}_${Date.now().toString(36)}`;
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${db.replace(/"/g, '')}"`);
      } finally {
        await c.end();
      }
      return `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
    },
    halt() {
      run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
    },
    start: pgStart,
    async stop() {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']);
      } catch {
        /* already stopped */
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

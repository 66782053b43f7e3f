// The release as a user installs it: `npm pack` (prepack builds) of a copy of this checkout, then
// `npm install -g --omit=dev` of the tarball into an empty prefix. The installed `drover` runs
// from the built JavaScript (no tsx, no devDependencies): --version, validate, and a meta and an
// agent that converge. Slow (a real npm install, better-sqlite3 built for meta): generous deadlines.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageYaml, writeFleet } from '../agent/agent-process.js';
import { buildPackage, controlScript, ROOT, waitFor } from '../agent/fixtures.js';
import { startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { device, metaUrlOf, startDaemon, type Daemon } from './daemon.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-release-'));
const prefix = join(tmp, 'prefix');
const bin = join(prefix, 'bin/drover');
const installed = join(prefix, 'lib/node_modules/drover');
let tarball = '';
let listing: string[] = [];
let server: ArtifactServer | undefined;
const daemons: Daemon[] = [];

function run(cmd: string, args: string[], cwd: string, timeoutMs: number): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NODE_ENV: '', npm_config_loglevel: 'warn' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

before(async () => {
  // A copy of the checkout (tracked and new files), so that prepack's clean build does not touch ours.
  const stage = join(tmp, 'src');
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    cpSync(join(ROOT, f), join(stage, f));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(stage, 'node_modules'));
  execFileSync('git', ['init', '-q'], { cwd: stage }); // a commit for build-info
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '--allow-empty', '-m', 'release test'], { cwd: stage });
  const out = join(tmp, 'out');
  mkdirSync(out);
  run('npm', ['pack', '--pack-destination', out], stage, 15 * 60_000);
  tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
  listing = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
  // better-sqlite3 is built for meta; node-pty (jump) is not needed here.
  run('npm', ['install', '-g', '--prefix', prefix, '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund', '--allow-scripts=better-sqlite3', tarball], tmp, 25 * 60_000);
}, { timeout: 45 * 60_000 });

after(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('npm pack and install -g --omit=dev', { timeout: 50 * 60_000 }, () => {
  it('the tarball holds the built code, the one-file agent and examples, but no tests, sources or source maps', () => {
    assert.ok(listing.includes('package/dist/cli/main.js'));
    assert.ok(listing.includes('package/dist/drover-agent.mjs'));
    assert.ok(listing.includes('package/dist/build-info.json'));
    assert.ok(listing.includes('package/bin/drover.js'));
    assert.ok(listing.includes('package/examples/fleet/fleet.yaml'));
    const unwanted = listing.filter((f) => /^package\/test\/|\.test\.|\.map$|\.ts$|fixtures\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it('installs without devDependencies and prints its version and commit', () => {
    assert.ok(!existsSync(join(installed, 'node_modules/tsx')), 'tsx is not installed');
    assert.ok(!existsSync(join(installed, 'node_modules/typescript')), 'typescript is not installed');
    const version = run(bin, ['--version'], tmp, 60_000);
    assert.match(version, /^drover \d+\.\d+\.\d+\S* \(commit [0-9a-f]{12}\)\n$/);
  });

  it('drover validate examples/fleet', () => {
    const out = run(bin, ['validate', 'examples/fleet'], installed, 60_000);
    assert.match(out, /valid/);
  });

  it('an installed meta and an installed agent converge', async () => {
    const art = join(tmp, 'artifacts');
    const b = buildPackage('app', '1.0', art, { control: controlScript() });
    server = await startArtifactServer(art);
    const fleet = join(tmp, 'fleet');
    writeFleet(fleet, { 'packages/app.yaml': packageYaml({ name: 'app', version: '1.0', url: `${server.url}/app-1.0.tar.gz`, sha256: b.sha256, pidFile: 'run.pid' }) });
    const agentToken = 'release-agent-token-0123456789';
    const adminToken = 'release-admin-token-0123456789';
    const meta = startDaemon(bin, ['meta', '--repo', fleet, '--data', join(tmp, 'meta'), '--listen', '127.0.0.1:0', '--agent-token', agentToken, '--admin-token', adminToken]);
    daemons.push(meta);
    const url = await metaUrlOf(meta, 120_000);
    const agent = startDaemon(bin, ['agent', '--meta', url, '--token', agentToken, '--root', join(tmp, 'agent'), '--id', 'rel-1', '--initial-delay', '0', '--stop-on-exit']);
    daemons.push(agent);
    const d = await waitFor(async () => {
      const v = await device(url, adminToken, 'rel-1');
      return v?.condition === 'InSync' ? v : null;
    }, `rel-1 InSync\n${agent.output()}`, 120_000, 250);
    assert.equal(d.packages[0].report.version, '1.0');
    assert.match(d.agentVersion, /^\d+\.\d+\.\d+/);
    assert.match(d.agentCommit, /^[0-9a-f]{12}$/);
  });
});

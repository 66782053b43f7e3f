// `drover validate` as a user runs it: the built command on the example fleet, on broken copies
// of it, on a git revision, with --json and --strict.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drover, ensureBuilt, ROOT } from './built-cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'drover-validate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
before(ensureBuilt, { timeout: 300_000 });

/** A copy of the example fleet with `edit` applied to some of its files. */
function exampleCopy(name: string, edit: Record<string, (text: string) => string> = {}): string {
  const dir = join(tmp, name);
  cpSync(join(ROOT, 'examples/fleet'), dir, { recursive: true });
  for (const [file, fn] of Object.entries(edit)) writeFileSync(join(dir, file), fn(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

const typo = (t: string): string => t.replace(/^version:/m, 'verison:');

describe('drover validate', () => {
  it('accepts the example fleet: exit 0 and a one-line summary', async () => {
    const r = await drover(['validate', 'examples/fleet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'examples/fleet: valid: 2 packages, 3 devices, 1 command (+1 under trial), 1 user\n');
    assert.equal(r.stderr, '');
  });

  it('validates the current directory by default', async () => {
    const r = await drover(['validate'], { cwd: join(ROOT, 'examples/fleet') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\.: valid: 2 packages/);
  });

  it('a mistyped field: exit 1, and the line that names it', async () => {
    const dir = exampleCopy('typo', { 'packages/hello-service.yaml': typo });
    const r = await drover(['validate', dir]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, `packages/hello-service.yaml:4:1: unknown field "verison" (did you mean "version"?)\n${dir}: invalid: 1 error\n`);
  });

  it('prints every problem across files, errors and warnings, sorted', async () => {
    const dir = exampleCopy('many', {
      'packages/hello-service.yaml': typo,
      'devices/dev-003.yaml': (t) => t + 'packages:\n  helo-service: { state: stopped }\n',
      'packages/metrics-exporter.yaml': (t) => t.replace('role: web', 'role: gateway'),
    });
    const r = await drover(['validate', dir]);
    assert.equal(r.code, 1);
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'devices/dev-003.yaml:7:3: pin of unknown package "helo-service" (did you mean "hello-service"?): define it in packages/helo-service.yaml, or under extraPackages for this device alone',
      'packages/hello-service.yaml:4:1: unknown field "verison" (did you mean "version"?)',
      'packages/metrics-exporter.yaml:11:3: warning: selector matches no device defined in devices/ (devices that register later may still match)',
      `${dir}: invalid: 2 errors, 1 warning`,
    ]);
  });

  it('refuses a device id with upper-case letters, saying why and what to use', async () => {
    const dir = exampleCopy('upper', { 'devices/dev-003.yaml': (t) => t.replace(/^id: dev-003$/m, 'id: Dev-003') });
    const r = await drover(['validate', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /devices\/dev-003\.yaml:3:5: id: device ids must be lower-case \(OpenSSH lower-cases host names, so `ssh -J` could never reach it\): use "dev-003"/);
  });

  it('--json prints the problems as data, with the same exit code', async () => {
    const dir = exampleCopy('json', { 'packages/hello-service.yaml': typo });
    const r = await drover(['validate', dir, '--json']);
    assert.equal(r.code, 1);
    assert.deepEqual(JSON.parse(r.stdout), {
      ok: false,
      errors: 1,
      warnings: 0,
      problems: [{ file: 'packages/hello-service.yaml', line: 4, col: 1, message: 'unknown field "verison" (did you mean "version"?)', severity: 'error' }],
    });
    const ok = await drover(['validate', 'examples/fleet', '--json']);
    assert.equal(ok.code, 0);
    assert.deepEqual(JSON.parse(ok.stdout), { ok: true, errors: 0, warnings: 0, problems: [] });
  });

  it('warnings alone pass; --strict fails on them', async () => {
    const dir = exampleCopy('warn', { 'packages/metrics-exporter.yaml': (t) => t.replace('role: web', 'role: gateway') });
    const r = await drover(['validate', dir]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /: valid: 2 packages, 3 devices, 1 command \(\+1 under trial\), 1 user, 1 warning\n$/);
    const strict = await drover(['validate', dir, '--strict']);
    assert.equal(strict.code, 1);
    assert.match(strict.stdout, /: invalid: 2 packages, .*1 warning\n$/);
  });

  it('validates a git revision with --git, without a working tree of it', async () => {
    const repo = join(tmp, 'repo');
    cpSync(join(ROOT, 'examples/fleet'), repo, { recursive: true });
    const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', '-C', repo, ...args], { encoding: 'utf8' }).trim();
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'good');
    const good = git('rev-parse', 'HEAD');
    writeFileSync(join(repo, 'packages/hello-service.yaml'), typo(readFileSync(join(repo, 'packages/hello-service.yaml'), 'utf8')));
    git('commit', '-q', '-am', 'typo');
    writeFileSync(join(repo, 'fleet.yaml'), 'heartbeat: [\n'); // uncommitted: never read
    const head = await drover(['validate', 'HEAD', '--git', repo]);
    assert.equal(head.code, 1);
    assert.match(head.stdout, /^packages\/hello-service\.yaml:4:1: unknown field "verison"/);
    assert.match(head.stdout, /\nHEAD \([0-9a-f]{12}\): invalid: 1 error\n$/);
    const old = await drover(['validate', 'HEAD~1', '--git', repo]);
    assert.equal(old.code, 0, old.stdout);
    assert.equal(old.stdout, `HEAD~1 (${good.slice(0, 12)}): valid: 2 packages, 3 devices, 1 command (+1 under trial), 1 user\n`);
  });

  it('a path that is neither a directory nor a revision: a clear error, exit 1', async () => {
    const r = await drover(['validate', join(tmp, 'nowhere')], { cwd: tmp });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^drover: .*nowhere is neither a directory nor a revision of the git repository at \./);
  });

  it('--help prints the usage; an unknown flag exits 2', async () => {
    const help = await drover(['validate', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: drover validate \[DIR \| REV --git REPO\] \[options\]\n/);
    assert.match(help.stdout, /--strict +treat warnings as errors/);
    const bad = await drover(['validate', '--strcit']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /strcit[\s\S]*drover validate --help/);
  });
});

describe('drover validate --format, drover schema', () => {
  it('--format github: one workflow annotation per problem, with the fleet folder prefixed', async () => {
    const dir = exampleCopy('github', { 'packages/hello-service.yaml': typo });
    const r = await drover(['validate', dir, '-o', 'github', '--root', 'fleet']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout.split('\n')[0],
      '::error file=fleet/packages/hello-service.yaml,line=4,col=1,title=drover validate::unknown field "verison" (did you mean "version"?)',
    );
  });

  it('--format json: the problems as JSON', async () => {
    const dir = exampleCopy('json-format', { 'packages/hello-service.yaml': typo });
    const r = await drover(['validate', dir, '--format', 'json']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).problems[0].line, 4);
  });

  it('an unknown format: exit 2', async () => {
    const r = await drover(['validate', 'examples/fleet', '--format', 'xml']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--format must be one of text, json, github/);
  });

  it('drover schema package prints the package schema', async () => {
    const r = await drover(['schema', 'package']);
    assert.equal(r.code, 0, r.stderr);
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.title, 'drover packages/*.yaml');
    assert.ok(schema.properties.version);
  });
});

describe('drover validate --path, diff --path: a fleet in a subfolder', () => {
  it('validates the fleet inside a larger folder and finds the same problems', async () => {
    const outer = join(tmp, 'outer');
    cpSync(join(ROOT, 'examples/fleet'), join(outer, 'ops/fleet'), { recursive: true });
    writeFileSync(join(outer, 'README.md'), '# a larger repository\n');
    const ok = await drover(['validate', outer, '--path', 'ops/fleet']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /valid: 2 packages, 3 devices/);
    writeFileSync(join(outer, 'ops/fleet/packages/hello-service.yaml'), typo(readFileSync(join(outer, 'ops/fleet/packages/hello-service.yaml'), 'utf8')));
    const bad = await drover(['validate', outer, '--path', 'ops/fleet', '-o', 'github', '--root', 'ops/fleet']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^::error file=ops\/fleet\/packages\/hello-service\.yaml,line=4,col=1,/);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadMetaConfig } from '../../reconciler/config.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-metacfg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const A = 'a'.repeat(20);
const B = 'b'.repeat(20);

test('flags, environment and config file combine, flags first', () => {
  const file = join(dir, 'meta.yaml');
  writeFileSync(file, `repo: https://git.example/fleet.git\nbranch: prod\nfetchInterval: 2m\nadmin-token: ${B}\nlisten: 0.0.0.0:8080\n`);
  const { config } = loadMetaConfig(['--config', file, '--branch', 'main'], { DROVER_META_AGENT_TOKEN: `${A},${'c'.repeat(20)}` });
  assert.equal(config!.repoKind, 'git');
  assert.equal(config!.branch, 'main');
  assert.equal(config!.fetchIntervalMs, 120_000);
  assert.deepEqual(config!.listen, { host: '0.0.0.0', port: 8080 });
  assert.deepEqual(config!.agentTokens, [A, 'c'.repeat(20)]);
  assert.equal(config!.adminToken, B);
  assert.equal(config!.waitMaxMs, 90_000);
  assert.equal(config!.webhookSecret, null);
});

test('defaults and a directory repository', () => {
  const { config } = loadMetaConfig(['--repo', dir, '--agent-token', A, '--admin-token', B], {});
  assert.equal(config!.repoKind, 'dir');
  assert.deepEqual(config!.listen, { host: '127.0.0.1', port: 7070 });
  assert.equal(config!.fetchIntervalMs, 30_000);
  assert.equal(config!.bodyLimit, 1_048_576);
});

const bad: [string, string[], RegExp][] = [
  ['no repo', ['--agent-token', A, '--admin-token', B], /--repo is required/],
  ['missing directory', ['--repo', '/nonexistent/fleet', '--agent-token', A, '--admin-token', B], /neither an http\(s\) URL nor an existing directory/],
  ['no agent token', ['--repo', dir, '--admin-token', B], /--agent-token is required/],
  ['short token', ['--repo', dir, '--agent-token', 'short', '--admin-token', B], /at least 16 characters/],
  ['same tokens', ['--repo', dir, '--agent-token', A, '--admin-token', A], /must differ/],
  ['bad listen', ['--repo', dir, '--agent-token', A, '--admin-token', B, '--listen', 'nowhere'], /HOST:PORT/],
  ['bad duration', ['--repo', dir, '--agent-token', A, '--admin-token', B, '--fetch-interval', 'soon'], /duration/],
  ['unknown flag', ['--repo', dir, '--frobnicate'], /frobnicate/],
];
for (const [name, argv, re] of bad) {
  test(`refused: ${name}`, () => {
    assert.throws(() => loadMetaConfig(argv, {}), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, re);
      assert.ok(!err.message.includes(A) && !err.message.includes(B), 'secrets are not echoed');
      return true;
    });
  });
}

test('the store: SQLite by default, a postgres URL from --store, DROVER_META_STORE or --store-file; never echoed', () => {
  const base = ['--repo', dir, '--agent-token', A, '--admin-token', B];
  assert.deepEqual(loadMetaConfig(base, {}).config!.store, { kind: 'sqlite' });
  const url = 'postgres://drover:pa55word@db:5432/drover';
  assert.deepEqual(loadMetaConfig([...base, '--store', url], {}).config!.store, { kind: 'postgres', url });
  assert.deepEqual(loadMetaConfig(base, { DROVER_META_STORE: url }).config!.store, { kind: 'postgres', url });
  const file = join(dir, 'store-url');
  writeFileSync(file, url + '\n', { mode: 0o600 });
  assert.deepEqual(loadMetaConfig([...base, '--store-file', file], {}).config!.store, { kind: 'postgres', url });
  assert.throws(() => loadMetaConfig([...base, '--store', 'mysql://u:secretpw@db/x'], {}), (err: Error) => {
    assert.match(err.message, /--store must be a postgres:\/\/ URL/);
    assert.ok(!err.message.includes('secretpw'));
    return true;
  });
});

test('results on the commit: forges, a token file, repeatable --notify', () => {
  const tokenFile = join(dir, 'forge-token');
  writeFileSync(tokenFile, 'forge-token-value\n');
  const { config } = loadMetaConfig([
    '--repo', dir, '--agent-token', A, '--admin-token', B,
    '--notify-commit-status', 'github:https://api.github.com/repos/acme/fleet', '--notify-commit-status', 'gitlab:https://gitlab.example/api/v4/projects/7',
    '--notify-token-file', tokenFile, '--notify', 'https://chat.example/a', '--notify', 'https://chat.example/b,https://chat.example/c',
  ], {});
  assert.deepEqual(config!.notifyCommitStatus, [{ forge: 'github', apiUrl: 'https://api.github.com/repos/acme/fleet' }, { forge: 'gitlab', apiUrl: 'https://gitlab.example/api/v4/projects/7' }]);
  assert.equal(config!.notifyToken, 'forge-token-value');
  assert.deepEqual(config!.notifyUrls, ['https://chat.example/a', 'https://chat.example/b', 'https://chat.example/c']);
  const base = ['--repo', dir, '--agent-token', A, '--admin-token', B];
  assert.throws(() => loadMetaConfig([...base, '--notify-commit-status', 'github:https://api.github.com/repos/acme/fleet'], {}), /needs --notify-token-file/);
  assert.throws(() => loadMetaConfig([...base, '--notify-commit-status', 'bitbucket:https://x.example/repos/a/b', '--notify-token-file', tokenFile], {}), /unknown forge/);
  assert.throws(() => loadMetaConfig([...base, '--notify', 'ftp://chat.example/'], {}), /http\(s\) URLs/);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { configEnvName, deprecation, envName, legacyEnvName, loadConfig, parseHostPort, parseLabels, renderHelp, type CommandSpec } from '../../lib/config.js';
import { DroverError } from '../../lib/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const SPEC: CommandSpec = {
  command: 'thing',
  summary: 'Does a thing.',
  options: [
    { name: 'listen', type: 'string', default: '127.0.0.1:7070', help: 'address', metavar: 'HOST:PORT', check: (v) => (parseHostPort(String(v)) ? undefined : 'must be HOST:PORT') },
    { name: 'workers', type: 'number', default: 4, help: 'how many' },
    { name: 'verbose', type: 'boolean', default: false, help: 'say more', short: 'v' },
    { name: 'interval', type: 'duration', default: 240_000, help: 'how often' },
    { name: 'labels', type: 'list', default: [], help: 'labels' },
    { name: 'token', type: 'string', secret: true, help: 'the secret', env: 'THING_TOKEN' },
    { name: 'no-env', type: 'string', help: 'flag or file only', env: false },
  ],
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof DroverError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.kind, 'stalled');
    return err.message;
  }
  assert.fail('expected a CONFIG_INVALID error');
}

describe('loadConfig precedence: flags > environment > file > defaults', () => {
  const cfgFile = file('thing.yaml', 'workers: 8\ninterval: 1m\nlabels: [a, b]\nlisten: "0.0.0.0:1"\nnoEnv: from-file\n');
  const cases: { name: string; argv: string[]; env: Record<string, string>; want: Record<string, unknown>; sources: Record<string, string> }[] = [
    { name: 'defaults', argv: [], env: {}, want: { workers: 4, interval: 240_000, labels: [], listen: '127.0.0.1:7070', verbose: false }, sources: { workers: 'default', interval: 'default' } },
    { name: 'file over defaults', argv: ['--config', cfgFile], env: {}, want: { workers: 8, interval: 60_000, labels: ['a', 'b'], listen: '0.0.0.0:1', 'no-env': 'from-file' }, sources: { workers: 'file', 'no-env': 'file' } },
    { name: 'file named by DROVER_CONFIG', argv: [], env: { DROVER_CONFIG: cfgFile }, want: { workers: 8 }, sources: { workers: 'file' } },
    { name: 'environment over file', argv: ['--config', cfgFile], env: { DROVER_CLI_WORKERS: '16', DROVER_CLI_INTERVAL: '5s', DROVER_CLI_LABELS: 'x, y', DROVER_CLI_VERBOSE: 'true', THING_TOKEN: 's3cret' }, want: { workers: 16, interval: 5000, labels: ['x', 'y'], verbose: true, token: 's3cret' }, sources: { workers: 'env', token: 'env' } },
    { name: 'flags over environment', argv: ['--config', cfgFile, '--workers', '32', '-v', '--interval=90s', '--labels', 'z'], env: { DROVER_CLI_WORKERS: '16', DROVER_CLI_VERBOSE: 'false' }, want: { workers: 32, verbose: true, interval: 90_000, labels: ['z'] }, sources: { workers: 'flag', verbose: 'flag' } },
    { name: 'env: false ignores the variable', argv: [], env: { DROVER_CLI_NO_ENV: 'x' }, want: { 'no-env': undefined }, sources: { 'no-env': 'default' } },
    { name: 'positionals are kept', argv: ['a', '--workers', '2', 'b'], env: {}, want: { workers: 2 }, sources: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cfg = loadConfig(SPEC, c.argv, c.env);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(cfg.values[k], v, k);
      for (const [k, v] of Object.entries(c.sources)) assert.equal(cfg.sources[k], v, `source of ${k}`);
      if (c.name === 'positionals are kept') assert.deepEqual(cfg.positionals, ['a', 'b']);
    });
  }
});

describe('loadConfig errors name the flag, variable or file', () => {
  const cases: { name: string; argv: string[]; env?: Record<string, string>; error: RegExp; notIncludes?: string }[] = [
    { name: 'bad number flag', argv: ['--workers', 'many'], error: /^--workers must be a number \(got "many"\)$/ },
    { name: 'bad duration in the environment', argv: [], env: { DROVER_CLI_INTERVAL: 'soon' }, error: /^environment DROVER_CLI_INTERVAL: --interval must be a duration such as 500ms, 30s, 5m or 1h \(got "soon"\)$/ },
    { name: 'bad boolean in the environment', argv: [], env: { DROVER_CLI_VERBOSE: 'maybe' }, error: /^environment DROVER_CLI_VERBOSE: --verbose must be true or false/ },
    { name: 'bad value in the config file', argv: ['--config', file('bad.yaml', 'workers: [1]\n')], error: /^config file .*bad\.yaml: --workers must be a number/ },
    { name: 'unknown key in the config file', argv: ['--config', file('unknown.yaml', 'wrokers: 2\n')], error: /unknown\.yaml: unknown option "wrokers"/ },
    { name: 'config file that is not a map', argv: ['--config', file('list.yaml', '- a\n')], error: /list\.yaml: expected a map of option names to values/ },
    { name: 'config file with a YAML error', argv: ['--config', file('broken.yaml', 'workers: [1\n')], error: /broken\.yaml: / },
    { name: 'missing config file', argv: ['--config', join(dir, 'nope.yaml')], error: /cannot read config file .*nope\.yaml/ },
    { name: 'unknown flag', argv: ['--wrokers', '2'], error: /wrokers[\s\S]*Run 'drover thing --help' for the options\./ },
    { name: 'check() failure from a flag', argv: ['--listen', 'nowhere'], error: /^--listen: must be HOST:PORT$/ },
    { name: 'check() failure from the environment says so', argv: [], env: { DROVER_CLI_LISTEN: 'nowhere' }, error: /^--listen: must be HOST:PORT \(from environment DROVER_CLI_LISTEN\)$/ },
    { name: 'check() failure from the file says so', argv: ['--config', file('listen.yaml', 'listen: nowhere\n')], error: /^--listen: must be HOST:PORT \(from config file .*listen\.yaml\)$/ },
    { name: 'a secret is never echoed', argv: [], env: { THING_TOKEN: '' }, error: /./, notIncludes: 'hunter2' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.notIncludes) {
        const spec: CommandSpec = { ...SPEC, options: [{ name: 'token', type: 'number', secret: true, help: 'x' }] };
        const msg = configError(() => loadConfig(spec, ['--token', 'hunter2'], {}));
        assert.ok(!msg.includes('hunter2'), msg);
        assert.match(msg, /--token must be a number/);
        return;
      }
      assert.match(configError(() => loadConfig(SPEC, c.argv, c.env ?? {})), c.error);
    });
  }
});

describe('--help', () => {
  it('returns the rendered help instead of values, even with bad values around', () => {
    for (const argv of [['--help'], ['-h'], ['--workers', 'x', '--help']]) {
      const cfg = loadConfig(SPEC, argv, { DROVER_CLI_INTERVAL: 'soon' });
      assert.equal(cfg.help, renderHelp(SPEC));
    }
  });
  it('lists every option with its default and environment variable, never a secret', () => {
    const help = renderHelp({ ...SPEC, options: [...SPEC.options, { name: 'admin-token', type: 'string', secret: true, default: 'shh', help: 'admin' }], epilog: 'More words.' });
    assert.match(help, /^Usage: drover thing \[options\]\n\nDoes a thing\.\n\nOptions:\n/);
    assert.match(help, /--listen HOST:PORT +address \(default 127\.0\.0\.1:7070; env DROVER_CLI_LISTEN\)/);
    assert.match(help, /-v, --verbose +say more \(default false; env DROVER_CLI_VERBOSE\)/);
    assert.match(help, /--interval DURATION +how often \(default 4m; env DROVER_CLI_INTERVAL\)/);
    assert.match(help, /--token STRING +the secret \(env THING_TOKEN\)/);
    assert.match(help, /--no-env STRING +flag or file only\n/);
    assert.match(help, /--config FILE .*\(env DROVER_CONFIG\)/);
    assert.match(help, /--help +show this help\n/);
    assert.match(help, /More words\.\n$/);
    assert.ok(!help.includes('shh'));
  });
  it('envName derives DROVER_<SCOPE>_UPPER_SNAKE: one scope per daemon, cli for every other command', () => {
    assert.equal(envName({ name: 'agent-token', type: 'string', help: '' }), 'DROVER_CLI_AGENT_TOKEN');
    assert.equal(envName({ name: 'listen', type: 'string', help: '' }, { command: 'meta' }), 'DROVER_META_LISTEN');
    assert.equal(envName({ name: 'listen', type: 'string', help: '' }, { command: 'jump' }), 'DROVER_JUMP_LISTEN');
    assert.equal(envName({ name: 'idle-timeout', type: 'duration', help: '' }, { command: 'agent' }), 'DROVER_AGENT_IDLE_TIMEOUT');
    assert.equal(envName({ name: 'meta', type: 'string', help: '' }, { command: 'jump kick' }), 'DROVER_CLI_META');
    assert.equal(legacyEnvName({ name: 'idle-timeout', type: 'duration', help: '' }), 'DROVER_IDLE_TIMEOUT');
    assert.equal(legacyEnvName({ name: 'x', type: 'string', help: '', env: 'DROVER_LOG_LEVEL' }), undefined);
    assert.equal(configEnvName({ command: 'meta' }), 'DROVER_META_CONFIG');
    assert.equal(configEnvName({ command: 'status' }), 'DROVER_CONFIG');
    assert.equal(envName({ name: 'x', type: 'string', help: '', env: 'CUSTOM' }), 'CUSTOM');
    assert.equal(envName({ name: 'x', type: 'string', help: '', env: false }), undefined);
  });
});

describe('the shared variable names of before', () => {
  const META: CommandSpec = { command: 'meta', summary: 'meta', options: [
    { name: 'listen', type: 'string', help: 'address' },
    { name: 'data', type: 'string', help: 'folder' },
    { name: 'admin-token', type: 'string', secret: true, help: 'token' },
  ] };
  it('are still read, with one warning per variable naming the new one; the new name wins', () => {
    const warnings: string[] = [];
    const saved = deprecation.warn;
    deprecation.warn = (m) => void warnings.push(m);
    try {
      const tokenFile = file('admin-token', 'from-a-file-0123456789\n');
      const old = { DROVER_LISTEN: '127.0.0.1:1', DROVER_DATA: '/old', DROVER_ADMIN_TOKEN_FILE: tokenFile };
      const a = loadConfig(META, [], old);
      assert.equal(a.values.listen, '127.0.0.1:1');
      assert.equal(a.values['admin-token'], 'from-a-file-0123456789');
      assert.equal(loadConfig(META, [], old).values.data, '/old');
      assert.equal(loadConfig(META, [], { ...old, DROVER_META_DATA: '/new' }).values.data, '/new');
      assert.deepEqual(warnings.sort(), [
        'DROVER_ADMIN_TOKEN_FILE is deprecated: use DROVER_META_ADMIN_TOKEN_FILE',
        'DROVER_DATA is deprecated: use DROVER_META_DATA',
        'DROVER_LISTEN is deprecated: use DROVER_META_LISTEN',
      ]);
    } finally {
      deprecation.warn = saved;
    }
  });
  it('help names the new variables', () => {
    const help = renderHelp(META);
    assert.match(help, /--listen STRING +address \(env DROVER_META_LISTEN\)/);
    assert.match(help, /--admin-token-file FILE .*\(env DROVER_META_ADMIN_TOKEN_FILE\)/);
    assert.match(help, /--config FILE .*\(env DROVER_META_CONFIG\)/);
  });
});

describe('parseHostPort / parseLabels', () => {
  const hostPorts: [string, { host: string; port: number } | undefined][] = [
    ['127.0.0.1:7070', { host: '127.0.0.1', port: 7070 }],
    [':7070', { host: '0.0.0.0', port: 7070 }],
    ['[::1]:22', { host: '::1', port: 22 }],
    ['example.org:0', { host: 'example.org', port: 0 }],
    ['host:70000', undefined],
    ['host', undefined],
    ['host:port', undefined],
  ];
  for (const [text, want] of hostPorts) it(`parseHostPort(${text})`, () => assert.deepEqual(parseHostPort(text), want));
  it('parseLabels', () => {
    assert.deepEqual(parseLabels(['role=web', ' site = bj ', 'empty=']), { role: 'web', site: 'bj', empty: '' });
    assert.match(configError(() => parseLabels(['oops'])), /label "oops" must be written key=value/);
  });
});

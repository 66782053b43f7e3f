import assert from 'node:assert/strict';
import { test } from 'node:test';
import { globToRegExp } from '../../../specs/resolve/match-selector.js';
import { orderPrefixes, parseMd5File, prefixGlob } from '../../../reconciler/legacy/plan-ops-meta-import.js';
import { parseOpsMetaConfig } from '../../../reconciler/legacy/ops-meta-config.js';

test('orderPrefixes keeps config order but puts a prefix before the longer ones it starts', () => {
  const cases: [string[], string[]][] = [
    [['a', 'b'], ['a', 'b']],
    [['lg-falcon', 'lg-'], ['lg-', 'lg-falcon']],
    [['abc', 'x', 'ab', 'a', 'ab'], ['a', 'ab', 'abc', 'x']],
    [['', 'z'], ['', 'z']],
    [['z', ''], ['', 'z']],
    [['bj-web-1', 'sh-', 'bj-', 'bj-web'], ['bj-', 'bj-web', 'bj-web-1', 'sh-']],
  ];
  for (const [input, want] of cases) assert.deepEqual(orderPrefixes(input), want, input.join(','));
});

test('prefixGlob matches exactly the hostnames with that prefix, even with glob characters in it', () => {
  const cases: [string, string, boolean][] = [
    ['lg-falcon', 'lg-falcon-01', true],
    ['lg-falcon', 'lg-falcon', true],
    ['lg-falcon', 'xlg-falcon', false],
    ['', 'anything', true],
    ['a*b', 'a*b-1', true],
    ['a*b', 'axxb-1', false],
    ['h?', 'h?1', true],
    ['h?', 'hx1', false],
    ['r[1]', 'r[1]x', true],
    ['r[1]', 'r1x', false],
    ['a.b', 'axb', false],
  ];
  for (const [prefix, host, want] of cases) assert.equal(globToRegExp(prefixGlob(prefix)).test(host), want, `${prefix} ~ ${host}`);
});

test('parseMd5File reads md5sum output', () => {
  const m = 'd41d8cd98f00b204e9800998ecf8427e';
  assert.deepEqual(parseMd5File(`${m}  a-1.tar.gz\n`, 'a-1.tar.gz'), { md5: m });
  assert.deepEqual(parseMd5File(`${m.toUpperCase()} *a-1.tar.gz\n`, 'a-1.tar.gz'), { md5: m });
  assert.deepEqual(parseMd5File(`\n${m}\n`, 'a-1.tar.gz'), { md5: m });
  assert.deepEqual(parseMd5File(`${m}  ./dist/a-1.tar.gz`, 'a-1.tar.gz'), { md5: m });
  const other = parseMd5File(`${m}  b-1.tar.gz`, 'a-1.tar.gz');
  assert.equal('md5' in other && other.md5, m);
  assert.match('warning' in other ? other.warning! : '', /names "b-1.tar.gz"/);
  assert.deepEqual(parseMd5File('<html>404</html>', 'a-1.tar.gz'), { error: 'not in md5sum format' });
  assert.deepEqual(parseMd5File('', 'a-1.tar.gz'), { error: 'not in md5sum format' });
});

test('the cfg.json reader follows encoding/json: case-insensitive keys, nulls skipped, wrong types refused', () => {
  const cfg = parseOpsMetaConfig('{"Agents":[null,{"Default":{"Name":"a","version":"1"},"others":[null,{"PREFIX":"x"}]},{"others":[]}]}');
  assert.deepEqual(cfg.agents, [
    { default: { name: 'a', version: '1', tarball: '', md5: '', cmd: '' }, others: [{ prefix: 'x', version: '', tarball: '', md5: '', cmd: '' }] },
    { default: null, others: [] },
  ]);
  assert.throws(() => parseOpsMetaConfig('{"agents":[{"default":{"version":1}}]}'), /agents\[0\]\.default\.version must be a string/);
  assert.throws(() => parseOpsMetaConfig('{"agents": {}}'), /"agents" must be a list/);
  assert.throws(() => parseOpsMetaConfig('{nope'), /not JSON/);
});

test('what cannot be imported exactly is reported: odd commands, duplicate or unusable names, missing defaults', async () => {
  const { planOpsMetaImport } = await import('../../../reconciler/legacy/plan-ops-meta-import.js');
  const cfg = parseOpsMetaConfig(
    JSON.stringify({
      agents: [
        { default: { name: 'a', version: '1', tarball: 'http://m/a', cmd: '' }, others: [{ prefix: 'x', cmd: 'restart' }] },
        { default: { name: 'a', version: '2', tarball: 'http://m/a', cmd: 'start' } },
        { default: { name: 'bad/name', version: '1', tarball: 'http://m/b', cmd: 'start' } },
        { others: [] },
      ],
    }),
  );
  const plan = planOpsMetaImport(cfg, new Map([['http://m/a/a-1.tar.gz.md5', { md5: 'f'.repeat(32) }]]));
  const messages = plan.notes.map((n) => `${n.level}: ${n.message}`);
  assert.deepEqual(messages, [
    'todo: a: default cmd "" is neither start nor stop (the updater ignored it): imported as state stopped; choose started or stopped in packages/a.yaml',
    'warning: a: others[0] (prefix "x") has cmd "restart", neither start nor stop (the updater ignored it): not applied',
    'warning: agents[1]: a second agent named "a": ops-meta answered both, drover keeps the first',
    'todo: agents[2]: the name "bad/name" cannot be a drover package name (letters, digits, ".", "_", "-"): not imported',
    'warning: agents[3] has no "default": ops-meta skipped it, so does the import',
  ]);
  assert.equal(plan.packages, 1);
  assert.equal(plan.overrides, 0, 'an override that changes nothing is not written');
  assert.match(plan.files['packages/a.yaml']!, /state: stopped {3}# ops-meta cmd ""/);
});

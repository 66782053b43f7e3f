// drover import ops-meta: the output validates and resolves every hostname to what ops-meta
// answered (checked against a reference written from ops-meta's Go source), with the md5 files
// downloaded from a real HTTP server; unreachable ones become TODOs that fail validation.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirTreeReader } from '../../../lib/dir-tree-reader.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { resolveDevice } from '../../../specs/resolve/resolve-device.js';
import { importOpsMeta } from '../../../reconciler/legacy/import-ops-meta.js';
import { startUpstream, type Upstream } from '../artifacts/upstream-server.js';
import { opsMetaDesiredAgents } from './ops-meta-reference.js';

const run = promisify(execFile);
const md5Of = (s: string): string => createHash('md5').update(s).digest('hex');

let root: string;
let mirror: Upstream;

// Every (base, name, version) the config can produce gets a distinct md5 file.
const BASES = ['/falcon', '/falcon-new', '/md5s', '/dinp', '/other'];
const VERSIONS: Record<string, string[]> = { 'falcon-agent': ['0.0.1', '1.0.0', '1.0.1', '2.0.0', '3.0.0'], 'dinp-agent': ['0.0.1', '0.0.2'], 'nqm-agent': ['7'] };

function config(url: string): object {
  return {
    debug: true,
    http: { enabled: true, listen: '0.0.0.0:2000' },
    agents: [
      {
        default: { name: 'falcon-agent', version: '0.0.1', tarball: `${url}/falcon`, md5: '', cmd: 'start' },
        others: [
          { prefix: 'lg-falcon', version: '1.0.0', tarball: '', md5: '', cmd: '' },
          { prefix: 'lg-dinp', version: '1.0.1', tarball: '', md5: '', cmd: '' },
          // nested prefixes, the longer one first in the config: both apply to lg-falcon-bj*
          { prefix: 'lg-falcon-bj', version: '', tarball: `${url}/falcon-new`, md5: `${url}/md5s`, cmd: '' },
          { prefix: 'lg-', version: '2.0.0', tarball: '', md5: '', cmd: 'stop' },
          null,
          { prefix: 'lg-falcon-bj-9', version: '3.0.0', tarball: '', md5: '', cmd: 'start' },
          { prefix: 'sh', version: '', tarball: '', md5: '', cmd: '' },
        ],
      },
      {
        default: { name: 'dinp-agent', version: '0.0.1', tarball: `${url}/dinp`, md5: '', cmd: 'start' },
        others: [
          { prefix: '', version: '0.0.2', tarball: '', md5: '', cmd: '' },
          { prefix: 'db', version: '', tarball: '', md5: '', cmd: 'stop' },
        ],
      },
      { others: [{ prefix: 'x' }] },
      { default: { name: 'nqm-agent', version: '7', tarball: `${url}/other`, md5: `${url}/other`, cmd: 'stop' } },
    ],
  };
}

const HOSTS = [
  'web-01', 'lg-falcon', 'lg-falcon-01', 'lg-falcon-bj', 'lg-falcon-bj-1', 'lg-falcon-bj-9', 'lg-falcon-bj-99', 'lg-dinp-3',
  'lg-', 'lg-x', 'lg', 'sh-1', 'db-1', 'dbx', 'x1', 'LG-falcon', 'a', 'lg-falcon-b',
];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'drover-import-'));
  const files: Record<string, Buffer> = {};
  for (const base of BASES) {
    for (const [name, versions] of Object.entries(VERSIONS)) {
      for (const v of versions) {
        const file = `${name}-${v}.tar.gz`;
        files[`${base}/${file}.md5`] = Buffer.from(`${md5Of(base + file)}  ${file}\n`);
      }
    }
  }
  mirror = await startUpstream(files);
});

after(async () => {
  await mirror?.close();
  rmSync(root, { recursive: true, force: true });
});

test('the imported repository validates and answers every hostname as ops-meta did', async () => {
  const cfg = config(mirror.url);
  const cfgPath = join(root, 'cfg.json');
  writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const out = join(root, 'fleet');
  const result = await importOpsMeta({ cfgPath, outDir: out });
  assert.equal(result.valid, true, JSON.stringify(result.problems));
  assert.deepEqual(result.notes.filter((n) => n.level === 'todo'), []);
  assert.deepEqual(result.files, ['fleet.yaml', 'packages/dinp-agent.yaml', 'packages/falcon-agent.yaml', 'packages/nqm-agent.yaml']);
  assert.match(result.notes.map((n) => n.message).join('\n'), /agents\[2\] has no "default"/);

  const loaded = await loadFleet(dirTreeReader(out));
  if (!loaded.ok) throw new Error('the import does not load');
  const spec = loaded.spec;
  for (const host of HOSTS) {
    const want = (opsMetaDesiredAgents(cfg as never, host) ?? []).map((a) => ({
      name: a.name,
      version: a.version,
      url: `${a.tarball}/${a.name}-${a.version}.tar.gz`,
      md5: md5Of(`${new URL(a.md5 || a.tarball).pathname}${a.name}-${a.version}.tar.gz`),
      cmd: a.cmd,
    }));
    const got = resolveDevice(spec, { id: host }).document.packages.map((p) => ({
      name: p.name,
      version: p.version,
      url: p.artifact.url,
      md5: p.artifact.md5,
      cmd: p.state === 'started' ? 'start' : 'stop',
    }));
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    assert.deepEqual(got.sort(byName), want.sort(byName), host);
  }
  // the md5 files were each downloaded once
  for (const [path, n] of mirror.hits) assert.equal(n, 1, path);
  assert.equal(spec.fleet.artifacts.via, 'meta');
});

test('unreachable md5 files become TODOs: the CLI exits 1, validate points at them, filling them in completes the import', async () => {
  const cfgPath = join(root, 'cfg-unreachable.json');
  writeFileSync(
    cfgPath,
    JSON.stringify({ agents: [{ default: { name: 'falcon-agent', version: '1.0.0', tarball: `${mirror.url}/nowhere`, md5: '', cmd: 'start' } }] }),
  );
  const out = join(root, 'fleet-todo');
  // the sources, not a possibly stale dist/ build
  const cli = join(process.cwd(), 'cli', 'main.ts');
  const first = await run(process.execPath, ['--import', 'tsx', cli, 'import', 'ops-meta', cfgPath, out]).then(
    () => assert.fail('expected exit 1'),
    (e: { code: number; stdout: string }) => e,
  );
  assert.equal(first.code, 1);
  assert.match(first.stdout, /TODO: packages\/falcon-agent\.yaml: md5 of falcon-agent-1\.0\.0\.tar\.gz: http:\/\/127\.0\.0\.1:\d+\/nowhere\/falcon-agent-1\.0\.0\.tar\.gz\.md5: HTTP 404/);
  assert.match(first.stdout, /packages\/falcon-agent\.yaml:\d+:\d+: .*32 hexadecimal/);
  const file = join(out, 'packages', 'falcon-agent.yaml');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /# TODO\(import\): md5 of falcon-agent-1\.0\.0\.tar\.gz: .*could not be read \(HTTP 404\)/);
  // a non-empty OUTDIR is refused without --force
  const again = await run(process.execPath, ['--import', 'tsx', cli, 'import', 'ops-meta', cfgPath, out]).catch((e: { code: number; stderr: string }) => e);
  assert.equal((again as { code: number }).code, 2);
  assert.match((again as { stderr: string }).stderr, /is not empty/);
  const badCfg = join(root, 'not-json.json');
  writeFileSync(badCfg, '{"agents": [');
  const bad = await run(process.execPath, ['--import', 'tsx', cli, 'import', 'ops-meta', badCfg, join(root, 'never')]).catch((e: { code: number; stderr: string }) => e);
  assert.equal((bad as { code: number }).code, 2);
  assert.match((bad as { stderr: string }).stderr, /not JSON/);
  // the operator fills in the checksum
  writeFileSync(file, text.replace('md5: "TODO"', `md5: "${'a'.repeat(32)}"`));
  const validate = await run(process.execPath, ['--import', 'tsx', cli, 'validate', out]);
  assert.match(validate.stdout, /valid: 1 package/);
});

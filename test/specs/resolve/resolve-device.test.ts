import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFleet } from '../../../specs/resolve/compile-fleet.js';
import { etagOf, resolveDevice } from '../../../specs/resolve/resolve-device.js';
import { DesiredDocumentSchema } from '../../../specs/wire/desired.js';
import { fleetFromYaml, pkg, SHA_B, SHA_C } from '../fleet-from-yaml.js';

const FLEET = {
  'fleet.yaml': 'heartbeat: 60s\ndefaults:\n  controlTimeout: 20s\n  commandTimeout: 2m\nkeepVersions: 3\n',
  'packages/base.yaml': pkg('base', '1.0.0'),
  'packages/web-app.yaml': pkg(
    'web-app',
    '2.0.0',
    [
      'select: { labels: { role: web } }',
      'overrides:',
      '  - select: { labels: { site: sh } }',
      '    version: "2.1.0"',
      `    artifact: { url: "https://mirror.example/web-app-2.1.0.tar.gz", sha256: "${SHA_B}" }`,
      '  - select: { ids: ["web-0[1]"] }',
      '    state: stopped',
      '  - select: { match: [{ key: tier, in: [canary] }] }',
      '    version: "3.0.0-rc1"',
      `    artifact: { url: "https://mirror.example/web-app-3.0.0-rc1.tar.gz", sha256: "${SHA_C}" }`,
      '',
    ].join('\n'),
  ),
  'packages/db-tools.yaml': pkg('db-tools', '0.5', 'select: { match: [{ key: role, in: [db] }] }\ncontrol: { timeout: 5s }\n'),
  'devices/web-01.yaml': 'labels: { role: web, site: bj }\n',
  'devices/web-02.yaml': 'labels: { role: web, site: sh }\n',
  'devices/web-11.yaml': 'labels: { role: web, site: sh, tier: canary }\n',
  'devices/db-01.yaml': [
    'labels: { role: db }',
    'packages:',
    '  base:',
    '    version: "1.1.0"',
    `    artifact: { url: "https://mirror.example/base-1.1.0.tar.gz", sha256: "${SHA_B}" }`,
    'extraPackages:',
    '  - name: aaa-probe',
    '    version: "0.1"',
    `    artifact: { url: "https://mirror.example/aaa-probe.tar.gz", md5: "${'e'.repeat(32)}" }`,
    '    run: { command: [./probe] }',
    'commands:',
    '  - name: vacuum',
    '    run: vacuumdb --all',
    '',
  ].join('\n'),
  'control.yaml': [
    'commands:',
    '  - name: clean-tmp',
    '    run: find /tmp -mtime +7 -delete',
    '    timeout: 30s',
    '    select: { labels: { role: web } }',
    '  - name: audit',
    '    run: auditctl -l',
    '',
  ].join('\n'),
};

const summary = (doc: { packages: { name: string; version: string; state: string }[] }): string[] => doc.packages.map((p) => `${p.name} ${p.version} ${p.state}`);

describe('resolveDevice', async () => {
  const spec = await fleetFromYaml(FLEET, 'rev1');
  const fleet = compileFleet(spec);

  const cases: { id: string; labels?: Record<string, string>; packages: string[]; commands: string[] }[] = [
    { id: 'web-01', packages: ['base 1.0.0 started', 'web-app 2.0.0 stopped'], commands: ['audit approved', 'clean-tmp approved'] },
    { id: 'web-02', packages: ['base 1.0.0 started', 'web-app 2.1.0 started'], commands: ['audit approved', 'clean-tmp approved'] },
    { id: 'web-11', packages: ['base 1.0.0 started', 'web-app 3.0.0-rc1 started'], commands: ['audit approved', 'clean-tmp approved'] },
    { id: 'db-01', packages: ['aaa-probe 0.1 started', 'base 1.1.0 started', 'db-tools 0.5 started'], commands: ['audit approved', 'vacuum override'] },
    // Devices without a file: their reported labels decide.
    { id: 'edge-9', labels: { role: 'web', site: 'sh' }, packages: ['base 1.0.0 started', 'web-app 2.1.0 started'], commands: ['audit approved', 'clean-tmp approved'] },
    { id: 'edge-10', packages: ['base 1.0.0 started'], commands: ['audit approved'] },
    // Labels in devices/<id>.yaml win over reported ones; reported extra labels are kept.
    { id: 'web-01', labels: { role: 'db', tier: 'canary' }, packages: ['base 1.0.0 started', 'web-app 3.0.0-rc1 started'], commands: ['audit approved', 'clean-tmp approved'] },
  ];
  for (const c of cases) {
    it(`${c.id}${c.labels ? ` reporting ${JSON.stringify(c.labels)}` : ''}`, () => {
      const r = resolveDevice(fleet, { id: c.id, labels: c.labels });
      assert.deepEqual(summary(r.document), c.packages);
      assert.deepEqual(r.document.commands.map((x) => `${x.name} ${x.origin}`), c.commands);
      DesiredDocumentSchema.parse(r.document);
    });
  }

  it('reports effective labels and whether the device is declared', () => {
    const r = resolveDevice(fleet, { id: 'web-01', labels: { role: 'db', rack: '7' } });
    assert.deepEqual(r.labels, { role: 'web', site: 'bj', rack: '7' });
    assert.equal(r.declared, true);
    assert.equal(resolveDevice(fleet, { id: 'nobody' }).declared, false);
  });

  it('fills defaults from fleet.yaml and the artifact from the chosen variant', () => {
    const doc = resolveDevice(fleet, { id: 'web-02' }).document;
    assert.equal(doc.heartbeatMs, 60_000);
    const app = doc.packages.find((p) => p.name === 'web-app')!;
    assert.deepEqual(app.artifact, { url: 'https://mirror.example/web-app-2.1.0.tar.gz', sha256: SHA_B, via: 'upstream' });
    assert.deepEqual(app.control, { script: 'control', timeoutMs: 20_000 });
    assert.equal(app.keepVersions, 3);
    assert.equal(app.run, null);
    const clean = doc.commands.find((c) => c.name === 'clean-tmp')!;
    assert.equal(clean.timeoutMs, 30_000);
    assert.equal(doc.commands.find((c) => c.name === 'audit')!.timeoutMs, 120_000);
    const dbTools = resolveDevice(fleet, { id: 'db-01' }).document.packages.find((p) => p.name === 'db-tools')!;
    assert.deepEqual(dbTools.control, { script: 'control', timeoutMs: 5000 });
    const probe = resolveDevice(fleet, { id: 'db-01' }).document.packages.find((p) => p.name === 'aaa-probe')!;
    assert.equal(probe.control, null);
    assert.deepEqual(probe.run, { command: ['./probe'], stopGraceMs: 10_000, restartBackoffMs: 1000, maxRestartBackoffMs: 60_000 });
  });

  it('accepts the spec itself as well as a compiled fleet', () => {
    assert.deepEqual(resolveDevice(spec, { id: 'web-02' }), resolveDevice(fleet, { id: 'web-02' }));
  });
});

describe('pins and overrides', () => {
  it('a pin that only changes the state keeps the version of the variant the device gets', async () => {
    const spec = await fleetFromYaml({
      'packages/app.yaml': pkg('app', '1.0', `overrides:\n  - select: { labels: { site: sh } }\n    version: "1.1"\n    artifact: { url: "https://m/app-1.1.tgz", sha256: "${SHA_B}" }\n`),
      'devices/d1.yaml': 'labels: { site: sh }\npackages:\n  app: { state: stopped }\n',
      'devices/d2.yaml': 'labels: { site: bj }\npackages:\n  app: { state: stopped }\n',
    });
    const d1 = resolveDevice(spec, { id: 'd1' }).document.packages[0]!;
    assert.deepEqual([d1.version, d1.state, d1.artifact.sha256], ['1.1', 'stopped', SHA_B]);
    const d2 = resolveDevice(spec, { id: 'd2' }).document.packages[0]!;
    assert.deepEqual([d2.version, d2.state, d2.artifact.url], ['1.0', 'stopped', 'https://mirror.example/app-1.0.tar.gz']);
  });

  it('a pin of a package the device is not selected for installs it on that device', async () => {
    const spec = await fleetFromYaml({
      'packages/app.yaml': pkg('app', '1.0', 'select: { labels: { role: web } }\n'),
      'devices/d1.yaml': 'labels: { role: db }\npackages:\n  app: { state: stopped }\n',
      'devices/d2.yaml': 'labels: { role: db }\n',
    });
    assert.deepEqual(summary(resolveDevice(spec, { id: 'd1' }).document), ['app 1.0 stopped']);
    assert.deepEqual(summary(resolveDevice(spec, { id: 'd2' }).document), []);
  });

  it('the last matching override wins as a whole: fields it does not set come from the package', async () => {
    const spec = await fleetFromYaml({
      'packages/app.yaml': pkg(
        'app',
        '1.0',
        [
          'overrides:',
          '  - select: { labels: { site: sh } }',
          '    state: stopped',
          '  - select: { labels: { role: web } }',
          '    version: "2.0"',
          `    artifact: { url: "https://m/app-2.0.tgz", sha256: "${SHA_B}" }`,
          '',
        ].join('\n'),
      ),
      'devices/d1.yaml': 'labels: { site: sh, role: web }\n',
      'devices/d2.yaml': 'labels: { site: sh }\n',
    });
    assert.deepEqual(summary(resolveDevice(spec, { id: 'd1' }).document), ['app 2.0 started']);
    assert.deepEqual(summary(resolveDevice(spec, { id: 'd2' }).document), ['app 1.0 stopped']);
  });

  it('artifact.via: package over fleet default', async () => {
    const spec = await fleetFromYaml({
      'fleet.yaml': 'artifacts: { via: meta }\n',
      'packages/a.yaml': pkg('a', '1'),
      'packages/b.yaml': `name: b\nversion: "1"\nartifact: { url: "https://m/b.tgz", sha256: "${SHA_B}", via: upstream }\n`,
    });
    const doc = resolveDevice(spec, { id: 'x' }).document;
    assert.deepEqual(doc.packages.map((p) => p.artifact.via), ['meta', 'upstream']);
  });
});

describe('approved and trial commands', () => {
  const control = 'commands:\n  - name: clean\n    run: rm -rf /tmp/x\n    select: { labels: { role: web } }\n';
  it('a trial with the name of an approved command that does not select the device runs as its own command', async () => {
    const spec = await fleetFromYaml({
      'control.yaml': control,
      'devices/w.yaml': 'labels: { role: web }\n',
      'devices/d.yaml': 'labels: { role: db }\ncommands:\n  - name: clean\n    run: rm -rf /tmp/y\n',
    });
    const w = resolveDevice(spec, { id: 'w' }).document.commands;
    const d = resolveDevice(spec, { id: 'd' }).document.commands;
    assert.deepEqual(w.map((c) => [c.name, c.origin, c.run]), [['clean', 'approved', 'rm -rf /tmp/x']]);
    assert.deepEqual(d.map((c) => [c.name, c.origin, c.run]), [['clean', 'override', 'rm -rf /tmp/y']]);
    assert.notEqual(w[0]!.id, d[0]!.id);
  });
  it('a trial identical to an approved command that selects the device appears once, as approved, with the same identity', async () => {
    const spec = await fleetFromYaml({
      'control.yaml': control,
      'devices/w.yaml': 'labels: { role: web }\ncommands:\n  - name: clean\n    run: rm -rf /tmp/x\n  - name: other\n    run: "true"\n',
    });
    const cmds = resolveDevice(spec, { id: 'w' }).document.commands;
    assert.deepEqual(cmds.map((c) => [c.name, c.origin]), [['clean', 'approved'], ['other', 'override']]);
  });
});

// Command ids are name@ first 12 hex of sha256('{"run":"…"}') (checked with sha256sum); etags as of this version.
const GOLDEN: Record<string, string[]> = {
  'web-01': ['e3cf7f2eda7b38dfd0da23e5303978d2', 'audit@9b25a54eb6a3', 'clean-tmp@d6ad948d5605'],
  'db-01': ['c881741f2bf61669c9b66527446563bd', 'audit@9b25a54eb6a3', 'vacuum@858ec4d250f2'],
};

describe('etags', async () => {
  const etags = async (files: Record<string, string>, ids = ['web-01', 'web-02', 'web-11', 'db-01']): Promise<Record<string, string>> => {
    const spec = await fleetFromYaml(files);
    return Object.fromEntries(ids.map((id) => [id, resolveDevice(spec, { id }).etag]));
  };
  const before = await etags(FLEET);

  it('the same spec gives the same etag, whatever the order of files and keys', async () => {
    assert.deepEqual(await etags(FLEET), before);
    const reversed = Object.fromEntries(Object.entries(FLEET).reverse());
    reversed['packages/base.yaml'] = `artifact:\n  sha256: ${'a'.repeat(64)}\n  url: https://mirror.example/base-1.0.0.tar.gz\nversion: "1.0.0"\nname: base\n`;
    assert.deepEqual(await etags(reversed), before);
    for (const e of Object.values(before)) assert.match(e, /^[0-9a-f]{32}$/);
    assert.equal(new Set(Object.values(before)).size, 4, 'different documents have different etags');
  });

  it('memoised etags agree with etagOf for every kind of device, resolved repeatedly', async () => {
    const fleet = compileFleet(await fleetFromYaml(FLEET));
    const devices = [
      ...['web-01', 'web-02', 'web-11', 'db-01'].map((id) => ({ id })),
      ...['bj', 'sh', 'gz'].flatMap((site) => ['web', 'db', 'cache'].map((role, i) => ({ id: `edge-${site}-${i}`, labels: { role, site } }))),
      { id: 'edge-canary', labels: { role: 'web', tier: 'canary' } },
    ];
    const seen = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (const d of devices) {
        const r = resolveDevice(fleet, d);
        assert.equal(r.etag, etagOf(r.document), d.id);
        const doc = JSON.stringify(r.document);
        if (seen.has(r.etag)) assert.equal(seen.get(r.etag), doc, `one etag, one document (${d.id})`);
        seen.set(r.etag, doc);
      }
    }
    assert.ok(fleet.etags!.size > 1);
  });

  it('etags and command identities are pinned (a change makes every agent fetch again: change them deliberately)', async () => {
    const spec = await fleetFromYaml(FLEET);
    const got = Object.fromEntries(['web-01', 'db-01'].map((id) => {
      const r = resolveDevice(spec, { id });
      return [id, [r.etag, ...r.document.commands.map((c) => c.id)]];
    }));
    assert.deepEqual(got, GOLDEN);
  });

  it('etagOf(document) recomputes the same etag', async () => {
    const spec = await fleetFromYaml(FLEET);
    for (const id of ['web-01', 'db-01', 'nobody']) {
      const r = resolveDevice(spec, { id });
      assert.equal(etagOf(structuredClone(r.document)), r.etag);
    }
  });

  const changes: { name: string; patch: Record<string, string>; changed: string[] }[] = [
    { name: 'a package only db devices get', patch: { 'packages/db-tools.yaml': pkg('db-tools', '0.6', 'select: { match: [{ key: role, in: [db] }] }\ncontrol: { timeout: 5s }\n') }, changed: ['db-01'] },
    { name: 'the override only sh devices get', patch: { 'packages/web-app.yaml': FLEET['packages/web-app.yaml'].replace('"2.1.0"', '"2.1.1"') }, changed: ['web-02'] },
    { name: 'the state of a package everybody gets (db-01 pins only its version)', patch: { 'packages/base.yaml': pkg('base', '1.0.0', 'state: stopped\n') }, changed: ['web-01', 'web-02', 'web-11', 'db-01'] },
    { name: 'the version of a package db-01 pins', patch: { 'packages/base.yaml': pkg('base', '1.0.1') }, changed: ['web-01', 'web-02', 'web-11'] },
    { name: 'a rollout (not part of the document)', patch: { 'packages/base.yaml': pkg('base', '1.0.0', 'rollout: { steps: [1, 100%] }\n') }, changed: [] },
    { name: 'another device file', patch: { 'devices/web-01.yaml': 'labels: { role: web, site: bj }\ndescription: rack 4\n' }, changed: [] },
    { name: 'a new device', patch: { 'devices/web-99.yaml': 'labels: { role: web }\n' }, changed: [] },
    { name: 'a command for web devices', patch: { 'control.yaml': FLEET['control.yaml'] + '  - name: new\n    run: echo new\n    select: { labels: { role: web } }\n' }, changed: ['web-01', 'web-02', 'web-11'] },
    { name: 'the timeout of a web command (same identity, new document)', patch: { 'control.yaml': FLEET['control.yaml'].replace('timeout: 30s', 'timeout: 45s') }, changed: ['web-01', 'web-02', 'web-11'] },
    { name: 'a trial on db-01', patch: { 'devices/db-01.yaml': FLEET['devices/db-01.yaml'].replace('vacuumdb --all', 'vacuumdb --all --analyze') }, changed: ['db-01'] },
    { name: 'the heartbeat', patch: { 'fleet.yaml': FLEET['fleet.yaml'].replace('60s', '30s') }, changed: ['web-01', 'web-02', 'web-11', 'db-01'] },
    { name: 'the fleet description', patch: { 'fleet.yaml': FLEET['fleet.yaml'] + 'description: lab\n' }, changed: [] },
  ];
  for (const c of changes) {
    it(`changing ${c.name} changes the etag of ${c.changed.length ? c.changed.join(', ') : 'no device'}`, async () => {
      const after = await etags({ ...FLEET, ...c.patch });
      const changed = Object.keys(before).filter((id) => before[id] !== after[id]);
      assert.deepEqual(changed, c.changed);
    });
  }
});

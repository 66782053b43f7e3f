import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffFleets } from '../../../specs/diff/diff-fleets.js';
import { formatChange, formatFleetDiff } from '../../../specs/diff/format-diff.js';
import { fleetFromYaml, pkg, SHA_B } from '../fleet-from-yaml.js';

const BASE: Record<string, string> = {
  'fleet.yaml': 'heartbeat: 60s\n',
  'packages/app.yaml': pkg('app', '1.2.9', 'select: { labels: { role: web } }\n'),
  'packages/agent.yaml': pkg('agent', '5.0.0'),
  'devices/web-1.yaml': 'labels: { role: web }\n',
  'devices/db-1.yaml': 'labels: { role: db }\n',
  'control.yaml': 'commands:\n  - name: clean\n    run: rm -rf /tmp/x\n    timeout: 30s\n',
};

async function diffText(patch: Record<string, string | null>): Promise<string[]> {
  const after = { ...BASE };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete after[k];
    else after[k] = v;
  }
  const diff = diffFleets(await fleetFromYaml(BASE), await fleetFromYaml(after));
  return formatFleetDiff(diff).trimEnd().split('\n').map((l) => l.replace(/@[0-9a-f]{12}/g, '@HASH'));
}

describe('diffFleets + formatFleetDiff', () => {
  const cases: { name: string; patch: Record<string, string | null>; want: string[] }[] = [
    { name: 'nothing changed', patch: {}, want: ['0 of 2 devices affected'] },
    {
      name: 'an upgrade compares versions numerically (1.2.9 -> 1.2.10)',
      patch: { 'packages/app.yaml': pkg('app', '1.2.10', 'select: { labels: { role: web } }\n', SHA_B) },
      want: ['web-1', '  ^ upgrade app 1.2.9 -> 1.2.10', '1 of 2 devices affected: 1 upgrade'],
    },
    {
      name: 'a downgrade',
      patch: { 'packages/agent.yaml': pkg('agent', '4.9.1', '', SHA_B) },
      want: ['db-1', '  v downgrade agent 5.0.0 -> 4.9.1', 'web-1', '  v downgrade agent 5.0.0 -> 4.9.1', '2 of 2 devices affected: 2 downgrades'],
    },
    {
      name: 'stopping and removing',
      patch: { 'packages/agent.yaml': pkg('agent', '5.0.0', 'state: stopped\n'), 'packages/app.yaml': null },
      want: ['db-1', '  ~ stop agent (was started)', 'web-1', '  ~ stop agent (was started)', '  - remove app 1.2.9', '2 of 2 devices affected: 1 removal, 2 state changes'],
    },
    {
      name: 'a new package for db devices',
      patch: { 'packages/pg.yaml': pkg('pg', '16.1', 'select: { labels: { role: db } }\nstate: stopped\n') },
      want: ['db-1', '  + install pg 16.1 (stopped)', '1 of 2 devices affected: 1 install'],
    },
    {
      name: 'the same version with another checksum is flagged',
      patch: { 'packages/agent.yaml': pkg('agent', '5.0.0', '', SHA_B) },
      want: [
        'db-1',
        '  ! agent 5.0.0: checksum changed for the same version and URL: is the artifact being replaced in place?',
        'web-1',
        '  ! agent 5.0.0: checksum changed for the same version and URL: is the artifact being replaced in place?',
        '2 of 2 devices affected: 2 artifact changes',
      ],
    },
    {
      name: 'control settings of the same version',
      patch: { 'packages/app.yaml': pkg('app', '1.2.9', 'select: { labels: { role: web } }\ncontrol: { timeout: 2m }\n') },
      want: ['web-1', '  ~ app 1.2.9: control/run settings change', '1 of 2 devices affected: 1 settings change'],
    },
    {
      name: 'an edited command runs again; a timeout change alone does not',
      patch: { 'control.yaml': 'commands:\n  - name: clean\n    run: rm -rf /tmp/y\n    timeout: 30s\n  - name: web-only\n    run: "nginx -t\\nnginx -s reload"\n    select: { labels: { role: web } }\n' },
      want: [
        'db-1',
        '  > run clean@HASH (approved): rm -rf /tmp/y',
        '  x drop command clean@HASH',
        'web-1',
        '  > run clean@HASH (approved): rm -rf /tmp/y',
        '  > run web-only@HASH (approved): nginx -t; nginx -s reload',
        '  x drop command clean@HASH',
        '2 of 2 devices affected: 3 command runs, 2 commands dropped',
      ],
    },
    { name: 'a timeout change alone', patch: { 'control.yaml': BASE['control.yaml']!.replace('30s', '45s') }, want: ['0 of 2 devices affected'] },
    {
      name: 'a trial on one device',
      patch: { 'devices/web-1.yaml': 'labels: { role: web }\ncommands:\n  - name: probe\n    run: curl -fsS localhost/healthz\n' },
      want: ['web-1', '  > run probe@HASH (override): curl -fsS localhost/healthz', '1 of 2 devices affected: 1 command run'],
    },
    {
      name: 'the heartbeat',
      patch: { 'fleet.yaml': 'heartbeat: 30s\n' },
      want: ['db-1', '  ~ heartbeat 1m -> 30s', 'web-1', '  ~ heartbeat 1m -> 30s', '2 of 2 devices affected: 2 heartbeat changes'],
    },
    {
      name: 'a new device and a removed one',
      patch: { 'devices/web-2.yaml': 'labels: { role: web }\n', 'devices/db-1.yaml': null },
      want: [
        'db-1 (device removed)',
        '  - remove agent 5.0.0',
        '  x drop command clean@HASH',
        'web-2 (new device)',
        '  + install agent 5.0.0 (started)',
        '  + install app 1.2.9 (started)',
        '  > run clean@HASH (approved): rm -rf /tmp/x',
        '2 of 3 devices affected: 2 installs, 1 removal, 1 command run, 1 command dropped',
      ],
    },
    {
      name: 'a label change moves a device between selectors',
      patch: { 'devices/db-1.yaml': 'labels: { role: web }\n' },
      want: ['db-1', '  + install app 1.2.9 (started)', '1 of 2 devices affected: 1 install'],
    },
  ];
  for (const c of cases) it(c.name, async () => assert.deepEqual(await diffText(c.patch), c.want));

  it('marks what a staged rollout releases, but not a device\'s own pin or trial', async () => {
    const staged = {
      ...BASE,
      'packages/agent.yaml': pkg('agent', '5.1.0', 'rollout: { steps: [1, 10%, 100%] }\n', SHA_B),
      'devices/db-1.yaml': `labels: { role: db }\npackages:\n  agent: { version: "5.2.0-rc1", artifact: { url: "https://m/a.tgz", sha256: "${'d'.repeat(64)}" } }\n`,
      'control.yaml': BASE['control.yaml']! + '  - name: fsck\n    run: fsck -n /\n    rollout: { steps: [1, 100%] }\n',
    };
    const diff = diffFleets(await fleetFromYaml(BASE), await fleetFromYaml(staged));
    assert.deepEqual(
      formatFleetDiff(diff).trimEnd().split('\n').map((l) => l.replace(/@[0-9a-f]{12}/g, '@HASH')),
      [
        'db-1',
        '  ^ upgrade agent 5.0.0 -> 5.2.0-rc1',
        '  > run fsck@HASH (approved, rollout 1, 100%): fsck -n /',
        'web-1',
        '  ^ upgrade agent 5.0.0 -> 5.1.0 (rollout 1, 10%, 100%)',
        '  > run fsck@HASH (approved, rollout 1, 100%): fsck -n /',
        '2 of 2 devices affected: 2 upgrades, 2 command runs',
      ],
    );
  });

  it('counts and lists unchanged devices with all: true', async () => {
    const spec = await fleetFromYaml(BASE);
    const diff = diffFleets(spec, spec);
    assert.deepEqual({ affected: diff.affected, total: diff.total }, { affected: 0, total: 2 });
    assert.equal(formatFleetDiff(diff, { all: true }), 'db-1: no change\nweb-1: no change\n0 of 2 devices affected\n');
  });

  it('extra devices (e.g. registered ones) are diffed with their labels', async () => {
    const after = await fleetFromYaml({ ...BASE, 'packages/app.yaml': pkg('app', '1.3.0', 'select: { labels: { role: web } }\n', SHA_B) });
    const diff = diffFleets(await fleetFromYaml(BASE), after, [{ id: 'edge-7', labels: { role: 'web' } }, { id: 'edge-8', labels: { role: 'db' } }]);
    assert.deepEqual(diff.devices.filter((d) => d.changes.length).map((d) => d.id), ['edge-7', 'web-1']);
    assert.equal(diff.total, 4);
  });

  it('shortens long commands to one line', () => {
    const text = formatChange({ kind: 'command-runs', name: 'x', id: 'x@1', run: 'a'.repeat(150), origin: 'approved' });
    assert.equal(text, `> run x@1 (approved): ${'a'.repeat(97)}...`);
  });
});

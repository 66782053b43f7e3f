// The legacy answer and report, on desired documents resolved from a real fleet spec.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveDevice } from '../../../specs/resolve/resolve-device.js';
import { legacyArtifactBase } from '../../../reconciler/artifacts/artifact-routes.js';
import { legacyAnswer } from '../../../reconciler/legacy/legacy-answer.js';
import { legacyReport, realAgentsOf } from '../../../reconciler/legacy/legacy-report.js';
import { goLocalTime, statusJson, statusText } from '../../../reconciler/legacy/legacy-status.js';
import { specOf } from '../artifacts/fixtures.js';

const S1 = '1'.repeat(64);
const M2 = '2'.repeat(32);

async function doc(id: string) {
  const spec = await specOf({
    'packages/falcon-agent.yaml': `version: "5.1.2"\nartifact: { url: "http://mirror/f.tgz", sha256: "${S1}" }\noverrides:\n  - select: { ids: ["lg-*"] }\n    state: stopped\n`,
    'packages/legacy-md5.yaml': `version: "1.0"\nartifact: { url: "http://mirror/l.tgz", md5: "${M2}" }\nstate: absent\nselect: { ids: ["lg-*"] }\n`,
    'packages/exporter.yaml': `version: "0.3.0"\nartifact: { url: "http://mirror/e.tgz", sha256: "${S1}" }\nrun: { command: ["./e"] }\nselect: { ids: ["run-*"] }\n`,
    'packages/custom.yaml': `version: "2"\nartifact: { url: "http://mirror/c.tgz", sha256: "${S1}" }\ncontrol: { script: bin/ctl }\nselect: { ids: ["run-*"] }\n`,
    'devices/run-1.yaml': `commands:\n  - { name: clean-tmp, run: "find /tmp -delete" }\n`,
  });
  return resolveDevice(spec, { id });
}

const base = (k: Parameters<typeof legacyArtifactBase>[1]) => legacyArtifactBase('http://meta:7070/', k);

test('packages become desiredAgents with meta base URLs; cmd from the state', async () => {
  const { document } = await doc('lg-1');
  const a = legacyAnswer(document, base);
  assert.deepEqual(a.desiredAgents, [
    { name: 'falcon-agent', version: '5.1.2', tarball: `http://meta:7070/legacy/artifacts/sha256-${S1}`, md5: `http://meta:7070/legacy/artifacts/sha256-${S1}`, cmd: 'stop' },
    { name: 'legacy-md5', version: '1.0', tarball: `http://meta:7070/legacy/artifacts/md5-${M2}`, md5: `http://meta:7070/legacy/artifacts/md5-${M2}`, cmd: 'stop' },
  ]);
  assert.deepEqual(Object.keys(a.desiredAgents[0]!), ['name', 'version', 'tarball', 'md5', 'cmd']);
  assert.deepEqual(a.unsupported, []);
  assert.deepEqual(a.degraded.map((d) => d.name), ['legacy-md5']);
  assert.equal(legacyAnswer((await doc('web-1')).document, base).desiredAgents[0]!.cmd, 'start');
});

test('run: packages, other control scripts and commands are reported unsupported, not dropped silently', async () => {
  const r = await doc('run-1');
  const a = legacyAnswer(r.document, base);
  assert.deepEqual(a.desiredAgents.map((d) => d.name), ['falcon-agent']);
  assert.deepEqual(a.unsupported.map((u) => `${u.kind} ${u.name}`), ['package custom', 'package exporter', 'command clean-tmp']);
  const hb = legacyReport('run-1', [{ name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1700000000 }], r.document, r.etag, a, '::ffff:10.1.2.3');
  assert.deepEqual(hb.packages.map((p) => [p.name, p.state]), [['falcon-agent', 'started'], ['custom', 'failed'], ['exporter', 'failed']]);
  assert.match(hb.packages[2]!.error!, /not supported by the Open-Falcon updater: a run: package/);
  assert.equal(hb.commands.length, 1);
  assert.equal(hb.commands[0]!.status, 'failed');
  assert.equal(hb.commands[0]!.id, r.document.commands[0]!.id);
  assert.match(hb.commands[0]!.outputTail!, /^not run: the Open-Falcon updater runs no commands/);
  assert.equal(hb.appliedEtag, null, 'cannot converge');
  assert.deepEqual(hb.device.facts.addresses, ['10.1.2.3']);
  assert.match(String(hb.device.facts.legacyUnsupported), /command clean-tmp/);
});

test('the report: status strings mapped, appliedEtag set once every package matches', async () => {
  const r = await doc('web-1');
  const a = legacyAnswer(r.document, base);
  const cases: [string, string, string | null, string | null][] = [
    // status, version, expected state, expected appliedEtag
    ['started', '5.1.2', 'started', r.etag],
    ['falcon-agent started (pid 7)', '5.1.2', 'started', r.etag],
    ['started', '5.1.1', 'started', null],
    ['stoped', '5.1.2', 'stopped', null],
    ["exec `./control status` fail: exit status 1", '5.1.2', 'failed', null],
  ];
  for (const [status, version, state, applied] of cases) {
    const hb = legacyReport('web-1', [{ name: 'falcon-agent', version, status, timestamp: 1700000000 }], r.document, r.etag, a, undefined);
    assert.equal(hb.packages[0]!.state, state, status);
    assert.equal(hb.appliedEtag, applied, status);
    assert.equal(hb.etag, r.etag);
    assert.equal(hb.packages[0]!.outputTail, status);
    if (state === 'failed') assert.equal(hb.packages[0]!.error, `control status: ${status}`);
  }
  const none = legacyReport('web-1', null, r.document, r.etag, a, undefined);
  assert.equal(none.appliedEtag, null);
  assert.deepEqual(none.packages, []);
});

test('status pages: realAgents rebuilt from the reports, rendered as ops-meta did', () => {
  const hb = legacyReport('h2', [{ name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1700000000 }, { name: 'x', version: '', status: 'stoped', timestamp: 5 }], null, null, null, undefined);
  const agents = realAgentsOf(hb.packages);
  assert.deepEqual(agents, [
    { name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1700000000 },
    { name: 'x', version: '', status: 'stoped', timestamp: 5 },
  ]);
  const status = new Map([['h2', agents[0]!], ['h1', null]]);
  assert.equal(statusJson(status), '{"h1":null,"h2":{"name":"falcon-agent","version":"5.1.2","status":"started","timestamp":1700000000}}');
  assert.equal(statusText(status), `h1 not found\nh2 5.1.2 started 1700000000 ${goLocalTime(1700000000)}\n`);
  assert.equal(statusJson(new Map()), '{}');
  assert.equal(statusText(new Map()), '');
  assert.match(goLocalTime(0), /^19(69|70)-\d\d-\d\d \d\d:\d\d:\d\d$/);
});

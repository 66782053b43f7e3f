// The wire schemas both ends validate with: drover's heartbeat and the legacy Open-Falcon one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeartbeatRequestSchema, HeartbeatResponseSchema } from '../../../specs/wire/heartbeat.js';
import { DesiredDocumentSchema, PROTOCOL_VERSION } from '../../../specs/wire/desired.js';
import { LegacyHeartbeatRequestSchema, LegacyHeartbeatResponseSchema, legacyStatusToState } from '../../../specs/wire/legacy.js';
import { resolveDevice } from '../../../specs/resolve/resolve-device.js';
import { fleetFromYaml, pkg } from '../fleet-from-yaml.js';

describe('heartbeat request', () => {
  it('fills defaults for a first heartbeat', () => {
    const req = HeartbeatRequestSchema.parse({ protocol: 1, device: { id: 'dev-001' } });
    assert.deepEqual(req, { protocol: 1, device: { id: 'dev-001', labels: {}, facts: {} }, etag: null, appliedEtag: null, packages: [], commands: [] });
  });
  it('accepts a full report', () => {
    const req = HeartbeatRequestSchema.parse({
      protocol: PROTOCOL_VERSION,
      device: { id: 'dev-001', hostname: 'h1', labels: { role: 'web' }, facts: { os: 'linux', arch: 'x64', agentVersion: '0.1.0', sshPort: 2222, cpus: 4 } },
      etag: 'e1',
      appliedEtag: 'e0',
      packages: [{ name: 'app', version: '1.0', state: 'started', phase: 'idle', pid: 42, restarts: 0, lastExit: { code: 0, signal: null, at: '2026-01-01T00:00:00Z' } }],
      commands: [{ id: 'clean@abc', name: 'clean', status: 'succeeded', exitCode: 0, durationMs: 12, outputTail: 'ok\n' }],
    });
    assert.equal(req.packages[0]!.phase, 'idle');
    assert.equal(req.device.facts.cpus, 4);
  });
  const bad: [string, unknown][] = [
    ['another protocol version', { protocol: 2, device: { id: 'd' } }],
    ['no protocol', { device: { id: 'd' } }],
    ['a device id with a slash', { protocol: 1, device: { id: '../etc' } }],
    ['an unknown package state', { protocol: 1, device: { id: 'd' }, packages: [{ name: 'a', version: null, state: 'running' }] }],
    ['an unknown command status', { protocol: 1, device: { id: 'd' }, commands: [{ id: 'c@1', name: 'c', status: 'done' }] }],
    ['an output tail over 64 KiB', { protocol: 1, device: { id: 'd' }, commands: [{ id: 'c@1', name: 'c', status: 'failed', outputTail: 'x'.repeat(65_537) }] }],
    ['too many packages', { protocol: 1, device: { id: 'd' }, packages: Array.from({ length: 1001 }, (_, i) => ({ name: `p${i}`, version: null, state: 'absent' })) }],
    ['a bad ssh port fact', { protocol: 1, device: { id: 'd', facts: { sshPort: 70_000 } } }],
  ];
  for (const [name, body] of bad) it(`refuses ${name}`, () => assert.equal(HeartbeatRequestSchema.safeParse(body).success, false));
});

describe('heartbeat response and the desired document', () => {
  it('a resolved document is what the schema describes, with or without desired', async () => {
    const spec = await fleetFromYaml({ 'packages/a.yaml': pkg('a', '1'), 'control.yaml': 'commands:\n  - name: c\n    run: x\n    repeat: { every: 1h }\n' });
    const r = resolveDevice(spec, { id: 'd' });
    const answer = { protocol: 1, deviceId: 'd', etag: r.etag, revision: null, heartbeatMs: r.document.heartbeatMs, desired: r.document };
    assert.deepEqual(HeartbeatResponseSchema.parse(answer), answer);
    assert.ok(HeartbeatResponseSchema.safeParse({ ...answer, desired: undefined }).success);
    assert.deepEqual(DesiredDocumentSchema.parse(r.document).commands[0]!.repeat, { everyMs: 3_600_000 });
  });
});

describe('legacy Open-Falcon protocol', () => {
  it('parses an ops-updater request, with or without agents', () => {
    const req = LegacyHeartbeatRequestSchema.parse({ hostname: 'h1', realAgents: [{ name: 'falcon-agent', version: '5.1.2', status: 'started', timestamp: 1700000000 }] });
    assert.equal(req.realAgents![0]!.name, 'falcon-agent');
    assert.ok(LegacyHeartbeatRequestSchema.safeParse({ hostname: 'h1', realAgents: null }).success);
    assert.ok(LegacyHeartbeatRequestSchema.safeParse({ hostname: 'h1' }).success);
    assert.equal(LegacyHeartbeatRequestSchema.safeParse({ realAgents: [] }).success, false);
  });
  it('describes the answer exactly as ops-meta sends it', () => {
    const answer = { errorMessage: '', desiredAgents: [{ name: 'falcon-agent', version: '5.1.2', tarball: 'http://meta/t', md5: 'http://meta/m', cmd: 'start' }] };
    assert.deepEqual(LegacyHeartbeatResponseSchema.parse(answer), answer);
    assert.ok(LegacyHeartbeatResponseSchema.safeParse({ errorMessage: 'no such host', desiredAgents: null }).success);
  });
  const statuses: [string, string][] = [
    ['started', 'started'],
    ['  started\n', 'started'],
    ['stoped', 'stopped'],
    ['stopped', 'stopped'],
    ['Stoped', 'stopped'],
    ['', 'failed'],
    ['./control: line 3: no such file', 'failed'],
  ];
  for (const [status, want] of statuses) it(`status ${JSON.stringify(status)} -> ${want}`, () => assert.equal(legacyStatusToState(status), want));
});

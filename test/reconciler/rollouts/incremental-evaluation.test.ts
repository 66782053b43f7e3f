// The rollout gate evaluates incrementally: after a device reports, an evaluation reads that
// device's report alone (not every released device's again), and an evaluation that finds nothing
// new (the periodic sweep of an idle fleet) keeps the plan, so nothing downstream recomputes. With
// 100,000 idle devices, re-reading every report at every sweep took a good part of meta's CPU.
// The plans stay those of a fresh count (compared with planRollout over every device).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '../../../lib/log.js';
import { planRollout } from '../../../control/rollout/plan-rollout.js';
import { RolloutGate } from '../../../reconciler/rollouts/rollout-gate.js';
import { RolloutStore } from '../../../reconciler/rollouts/rollout-store.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { memoryTree } from '../../../specs/load/tree-reader.js';
import { compileFleet } from '../../../specs/resolve/compile-fleet.js';
import { nullStore } from '../../helpers/null-store.js';

const N = 200;
const COMMAND = 'commands:\n  - name: probe\n    run: "true"\n    rollout: { steps: [1, 50%, 100%], maxFailures: 1 }\n';
const PACKAGE = `name: svc\nversion: "1.0.0"\nartifact:\n  url: http://x/svc.tgz\n  sha256: ${'a'.repeat(64)}\nrollout: { steps: [1, 100%], maxFailures: 0 }\n`;

async function gateWith(devices: string[]) {
  const loaded = await loadFleet(memoryTree({ 'fleet.yaml': 'heartbeat: 60s\n', 'control.yaml': COMMAND, 'packages/svc.yaml': PACKAGE }), { revision: 'r1' });
  assert.ok(loaded.ok, JSON.stringify(loaded.ok ? null : loaded.problems));
  const commands = new Map<string, string>();
  const packages = new Map<string, string>();
  const reads = { n: 0 };
  let changes = 0;
  const now = 1_000_000;
  const gate = new RolloutGate({
    store: new RolloutStore(nullStore(), { rollouts: [], baselines: [], identities: [] }),
    log: silentLogger(),
    now: () => now,
    deviceIds: () => devices,
    labelsOf: () => ({}),
    lastSeen: () => now,
    commandsJson: (id) => (reads.n++, commands.get(id)),
    packagesJson: (id) => (reads.n++, packages.get(id)),
    offlineAfterMs: () => 180_000,
    invalidate: () => {},
    onChange: () => changes++,
    sweepMs: 0,
    throttleMs: 60_000,
  });
  const fleet = compileFleet(loaded.spec);
  gate.setFleet(fleet, 'r1');
  const report = (id: string, status: string) => {
    commands.set(id, JSON.stringify([{ id: gate.list().find((r) => r.subject.kind === 'command')!.subject.identity, name: 'probe', status, exitCode: status === 'failed' ? 1 : 0, finishedAt: null }]));
    gate.notify(id);
  };
  return { gate, reads, report, changes: () => changes, fleet, commands, close: () => gate.close() };
}

const ids = Array.from({ length: N }, (_, i) => `dev-${String(i).padStart(4, '0')}`);

describe('rollout evaluation is incremental', () => {
  it('after one released device reports, an evaluation reads its report alone', async () => {
    const h = await gateWith(ids);
    const cmd = () => h.gate.list().find((r) => r.subject.kind === 'command')!;
    h.gate.evaluate();
    // Release the command to half of the devices (step 2), every one of them succeeded but one.
    h.report([...cmd().released][0]!, 'succeeded');
    h.gate.evaluate();
    assert.equal(cmd().released.size, N / 2);
    for (const id of cmd().released) h.report(id, 'succeeded');
    h.gate.evaluate();
    assert.equal(cmd().released.size, N, 'step 3: every device');
    h.reads.n = 0;
    const one = ids[7]!;
    h.report(one, 'failed');
    h.gate.evaluate();
    assert.ok(h.reads.n <= 4, `an evaluation after one report read ${h.reads.n} reports (of ${N} released devices)`);
    assert.deepEqual(cmd().plan!.failing, [one]);
    h.close();
  });

  it('an evaluation that finds nothing new keeps the plan and says nothing changed', async () => {
    const h = await gateWith(ids);
    h.gate.evaluate(); // releases the first step
    h.gate.reevaluate();
    h.gate.evaluate(); // the first devices are still pending: nothing new from here on
    const plans = h.gate.list().map((r) => r.plan);
    const changes = h.changes();
    const version = h.gate.version;
    h.reads.n = 0;
    for (let i = 0; i < 5; i++) {
      h.gate.reevaluate(); // what the periodic sweep does
      h.gate.evaluate();
    }
    assert.deepEqual(h.gate.list().map((r) => r.plan), plans);
    h.gate.list().forEach((r, i) => assert.equal(r.plan, plans[i], `${r.subject.key}: the same plan object`));
    assert.equal(h.changes(), changes, 'no change event');
    assert.equal(h.gate.version, version, "the results API's cache stays valid");
    assert.equal(h.reads.n, 0, 'no report read again');
    h.close();
  });

  it('the plans are those of a fresh count over every device', async () => {
    const h = await gateWith(ids);
    let seed = 5;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const statuses = ['succeeded', 'failed', 'running', 'pending', 'timedOut'];
    h.gate.evaluate();
    for (let round = 0; round < 30; round++) {
      const cmd = h.gate.list().find((r) => r.subject.kind === 'command')!;
      const released = [...cmd.released];
      for (let k = 0; k < 5; k++) h.report(released[random(released.length)]!, statuses[random(statuses.length)]!);
      const before = cmd.persisted.state;
      h.gate.evaluate();
      const fresh = planRollout({
        rollout: cmd.subject.rollout, devices: cmd.order!, state: before, now: 1_000_000,
        outcomes: (id) => {
          const s = h.commands.has(id) ? (JSON.parse(h.commands.get(id)!) as { status: string }[])[0]!.status : undefined;
          return s === 'succeeded' ? 'succeeded' : s === 'failed' ? 'failed' : s === 'timedOut' ? 'timedOut' : s === 'running' ? 'running' : s ? 'pending' : undefined;
        },
      });
      const shown = cmd.plan!;
      assert.deepEqual(
        { state: shown.state, step: shown.step, failing: shown.failing, waiting: shown.waiting.length, succeeded: shown.succeeded, released: shown.released.size },
        { state: fresh.state, step: fresh.step, failing: fresh.failing, waiting: fresh.waiting.length, succeeded: fresh.succeeded, released: fresh.released.size },
        `round ${round + 1}`,
      );
    }
    h.close();
  });
});

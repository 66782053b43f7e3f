import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coalesceRuns } from '../../lib/coalesce-runs.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

test('calls during a run coalesce into one more pass, never overlapping', async () => {
  let active = 0;
  let maxActive = 0;
  let runs = 0;
  const first = gate();
  const run = coalesceRuns(async () => {
    runs++;
    active++;
    maxActive = Math.max(maxActive, active);
    if (runs === 1) await first.opened;
    active--;
  });
  const p1 = run();
  const p2 = run();
  const p3 = run();
  assert.equal(p1, p2);
  assert.equal(p2, p3);
  assert.ok(run.running);
  first.open();
  await p1;
  assert.equal(runs, 2, 'three triggers during one run make one catch-up pass');
  assert.equal(maxActive, 1);
  assert.equal(run.running, null);
});

test('repeatWhile stops the catch-up pass; afterRun follows every run; a failing task does not wedge it', async () => {
  let runs = 0;
  let after = 0;
  let stop = false;
  const first = gate();
  const run = coalesceRuns(
    async () => {
      runs++;
      if (runs === 1) await first.opened;
    },
    { repeatWhile: () => !stop, afterRun: () => after++ },
  );
  const p = run();
  void run();
  stop = true;
  first.open();
  await p;
  assert.deepEqual({ runs, after }, { runs: 1, after: 1 });

  const failing = coalesceRuns(async () => {
    throw new Error('boom');
  });
  await assert.rejects(failing(), /boom/);
  assert.equal(failing.running, null);
  await assert.rejects(failing(), /boom/);
});

test('onError: a failed pass is reported and the pass asked for meanwhile still goes', async () => {
  const errors: unknown[] = [];
  let runs = 0;
  const first = gate();
  const run = coalesceRuns(
    async () => {
      runs++;
      if (runs === 1) {
        await first.opened;
        throw new Error('boom');
      }
    },
    { onError: (err) => errors.push(err) },
  );
  const p = run();
  void run();
  first.open();
  await p; // resolves: the failure went to onError
  assert.equal(runs, 2);
  assert.deepEqual(errors.map((e) => (e as Error).message), ['boom']);
});

// The convergence series keeps changes only, restarts per revision and stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConvergenceSeries } from '../../../reconciler/web/convergence-series.js';

test('keeps changed samples, restarts at a new revision', () => {
  const s = new ConvergenceSeries();
  s.restart('r1', 100);
  assert.equal(s.add({ at: 110, reached: 0, total: 5 }), true);
  assert.equal(s.add({ at: 120, reached: 0, total: 5 }), false, 'unchanged');
  assert.equal(s.add({ at: 130, reached: 3, total: 5 }), true);
  assert.equal(s.add({ at: 125, reached: 4, total: 5 }), false, 'out of order');
  assert.deepEqual(s.view(), { revision: 'r1', since: 100, points: [{ at: 110, reached: 0, total: 5 }, { at: 130, reached: 3, total: 5 }] });
  s.restart('r2', 200);
  assert.deepEqual(s.view(), { revision: 'r2', since: 200, points: [] });
});

test('thins itself when full, keeping the first and the newest point', () => {
  const s = new ConvergenceSeries(10);
  s.restart('r', 0);
  for (let i = 1; i <= 1000; i++) s.add({ at: i, reached: i, total: 1000 });
  const { points } = s.view();
  assert.ok(points.length <= 10 && points.length >= 5, `${points.length} points`);
  assert.equal(points[0]!.at, 1);
  assert.equal(points[points.length - 1]!.reached, 1000);
  for (let i = 1; i < points.length; i++) assert.ok(points[i]!.at > points[i - 1]!.at);
});

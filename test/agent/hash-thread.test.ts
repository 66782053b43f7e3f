import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashThreadFor } from '../../agent/hash-thread.js';

describe('hashThreadFor: where a large download is hashed', () => {
  const cases: Array<[cpus: number, load1: number, want: 'worker' | 'main', why: string]> = [
    [1, 0, 'main', 'one CPU: the worker could only take turns with the receiving thread'],
    [1, 0.2, 'main', 'one CPU, whatever the load'],
    [2, 0, 'worker', 'two CPUs, idle machine'],
    [2, 1.3, 'worker', 'two CPUs, more than half a CPU idle'],
    [2, 1.5, 'main', 'two CPUs, only half a CPU idle'],
    [2, 9, 'main', 'two CPUs, loaded'],
    [3, 2.4, 'worker', 'three CPUs, one more than half idle'],
    [3, 2.5, 'main', 'three CPUs, busy'],
    [8, 1, 'worker', 'eight CPUs, light load'],
    [8, 12, 'main', 'eight CPUs, overloaded'],
  ];
  for (const [cpus, load1, want, why] of cases) {
    it(`${cpus} CPU(s) at load ${load1}: ${want} (${why})`, () => assert.equal(hashThreadFor(cpus, load1), want));
  }
});

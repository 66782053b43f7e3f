import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashThreadFor } from '../../agent/hash-thread.js';

describe('hashThreadFor: where a large download is hashed', () => {
  const cases: Array<[cpus: number, want: 'worker' | 'main', why: string]> = [
    [0, 'main', 'no CPU count known'],
    [1, 'main', 'one CPU: the worker could only take turns with the receiving thread'],
    [2, 'worker', 'two CPUs: the worker hashes while the main thread receives and writes'],
    [3, 'worker', 'three CPUs'],
    [64, 'worker', 'many CPUs'],
  ];
  for (const [cpus, want, why] of cases) {
    it(`${cpus} CPU(s): ${want} (${why})`, () => assert.equal(hashThreadFor(cpus), want));
  }
});

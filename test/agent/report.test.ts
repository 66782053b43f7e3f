import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitReports } from '../../agent/report.js';

describe('fitReports', () => {
  it('leaves small reports alone', () => {
    const p = [{ name: 'a', outputTail: 'x'.repeat(100) }];
    assert.deepEqual(fitReports(p, [], 10_000), { packages: p, commands: [] });
  });
  it('shortens output tails, newest bytes kept, until the heartbeat fits', () => {
    const commands = Array.from({ length: 30 }, (_, i) => ({ id: `c${i}`, outputTail: `${'x'.repeat(65_000)}END${i}` }));
    const out = fitReports([], commands, 900 * 1024);
    assert.ok(Buffer.byteLength(JSON.stringify(out)) <= 900 * 1024);
    assert.ok(out.commands.every((c, i) => c.outputTail!.endsWith(`END${i}`) && c.outputTail!.startsWith('[…]')));
  });
  it('drops tails when nothing else fits', () => {
    const commands = Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}`, outputTail: 'y'.repeat(2000) }));
    const out = fitReports([], commands, 100_000);
    assert.ok(out.commands.every((c) => c.outputTail === null));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextCommandDueIn, planCommands, type PlanRecord } from '../../control/plan-commands.js';
import type { DesiredCommand } from '../../specs/wire/desired.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const MIN = 60_000;

function cmd(id: string, repeat: DesiredCommand['repeat'] = null): DesiredCommand {
  const [name, hash] = id.split('@') as [string, string];
  return { id, name, hash, run: 'true', timeoutMs: 1000, user: null, env: null, workdir: null, repeat, origin: 'override' };
}
const every = (ms: number) => ({ everyMs: ms });
const onVersion = { onVersionChange: 'falcon-agent', version: '5.1.2' };
const finished = (id: string, finishedAgoMs: number): PlanRecord => ({ id, event: 'finished', at: ago(finishedAgoMs), startedAt: ago(finishedAgoMs + 1000), finishedAt: ago(finishedAgoMs) });
const started = (id: string, agoMs: number): PlanRecord => ({ id, event: 'started', at: ago(agoMs), startedAt: ago(agoMs) });
const interrupted = (id: string, startedAgoMs: number): PlanRecord => ({ id, event: 'interrupted', at: ago(0), startedAt: ago(startedAgoMs), finishedAt: null });

describe('planCommands', () => {
  const cases: Array<{ name: string; desired: DesiredCommand[]; records: PlanRecord[]; want: string[] }> = [
    { name: 'nothing desired', desired: [], records: [finished('a@1', MIN)], want: [] },
    { name: 'a once-command never run', desired: [cmd('a@1')], records: [], want: ['a@1'] },
    { name: 'a once-command already finished', desired: [cmd('a@1')], records: [finished('a@1', 365 * 24 * 60 * MIN)], want: [] },
    { name: 'a once-command running', desired: [cmd('a@1')], records: [started('a@1', 1000)], want: [] },
    { name: 'a once-command interrupted is not rerun', desired: [cmd('a@1')], records: [interrupted('a@1', 10 * 24 * 60 * MIN)], want: [] },
    { name: 'an edited command is a new identity', desired: [cmd('a@2')], records: [finished('a@1', MIN)], want: ['a@2'] },
    { name: 'onVersionChange: same identity runs once', desired: [cmd('hook@v1', onVersion)], records: [finished('hook@v1', MIN)], want: [] },
    { name: 'onVersionChange: a new version is a new identity', desired: [cmd('hook@v2', onVersion)], records: [finished('hook@v1', MIN)], want: ['hook@v2'] },
    { name: 'every: never run', desired: [cmd('e@1', every(10 * MIN))], records: [], want: ['e@1'] },
    { name: 'every: finished recently', desired: [cmd('e@1', every(10 * MIN))], records: [finished('e@1', 9 * MIN)], want: [] },
    { name: 'every: finished exactly an interval ago', desired: [cmd('e@1', every(10 * MIN))], records: [finished('e@1', 10 * MIN)], want: ['e@1'] },
    { name: 'every: finished long ago', desired: [cmd('e@1', every(10 * MIN))], records: [finished('e@1', 11 * MIN)], want: ['e@1'] },
    { name: 'every: running is not started twice', desired: [cmd('e@1', every(1))], records: [started('e@1', 60 * MIN)], want: [] },
    { name: 'every: interrupted waits for its next interval', desired: [cmd('e@1', every(10 * MIN))], records: [interrupted('e@1', 5 * MIN)], want: [] },
    { name: 'every: interrupted runs again at its next interval', desired: [cmd('e@1', every(10 * MIN))], records: [interrupted('e@1', 10 * MIN)], want: ['e@1'] },
    { name: 'the last record of an id wins', desired: [cmd('e@1', every(10 * MIN))], records: [finished('e@1', 20 * MIN), started('e@1', MIN)], want: [] },
    { name: 'duplicates in desired run once, in desired order', desired: [cmd('b@1'), cmd('a@1'), cmd('b@1')], records: [], want: ['b@1', 'a@1'] },
    { name: 'records of commands no longer desired are ignored', desired: [cmd('a@1')], records: [finished('gone@1', MIN), started('gone@2', MIN)], want: ['a@1'] },
    { name: 'an unreadable time counts as due for every', desired: [cmd('e@1', every(MIN))], records: [{ id: 'e@1', event: 'finished', at: 'garbage', finishedAt: 'garbage' }], want: ['e@1'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(planCommands(c.desired, c.records, NOW), c.want);
      assert.deepEqual(planCommands(c.desired, c.records, new Date(NOW)), c.want);
    });
  }
});

describe('nextCommandDueIn', () => {
  const cases: Array<{ name: string; desired: DesiredCommand[]; records: PlanRecord[]; want: number | null }> = [
    { name: 'no repeating command', desired: [cmd('a@1')], records: [finished('a@1', MIN)], want: null },
    { name: 'a due command', desired: [cmd('a@1')], records: [], want: 0 },
    { name: 'the earliest of several', desired: [cmd('e@1', every(10 * MIN)), cmd('f@1', every(5 * MIN))], records: [finished('e@1', 3 * MIN), finished('f@1', 2 * MIN)], want: 3 * MIN },
    { name: 'running ones are not due', desired: [cmd('e@1', every(MIN))], records: [started('e@1', 5 * MIN)], want: null },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nextCommandDueIn(c.desired, c.records, NOW), c.want));
});

import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { openCommandJournal, type CommandOutcome } from '../../control/command-journal.js';

const root = mkdtempSync(join(tmpdir(), 'drover-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, `case-${n++}`);

const outcome = (status: CommandOutcome['status'], extra: Partial<CommandOutcome> = {}): CommandOutcome => ({
  status, exitCode: status === 'succeeded' ? 0 : 1, signal: null, startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:00:01.000Z', durationMs: 1000, outputTail: 'out\n', truncated: false, ...extra,
});

describe('command journal', () => {
  it('records started and finished, and keeps them across a reopen', async () => {
    const stateDir = dir();
    const j = await openCommandJournal({ stateDir });
    await j.recordStarted('clean@aaa', 'clean');
    assert.equal(j.lastRecord('clean@aaa')?.event, 'started');
    await j.recordFinished('clean@aaa', outcome('succeeded'));
    await j.recordStarted('other@bbb', 'other');
    await j.recordFinished('other@bbb', outcome('failed'));
    await j.close();
    const lines = readFileSync(j.path, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4);

    const again = await openCommandJournal({ stateDir });
    assert.deepEqual(again.all().map((r) => [r.id, r.event, r.status]).sort(), [['clean@aaa', 'finished', 'succeeded'], ['other@bbb', 'finished', 'failed']]);
    assert.equal(again.lastRecord('clean@aaa')?.name, 'clean');
    assert.equal(again.lastRecord('missing@x'), undefined);
    await again.close();
  });

  it('a started record of a SIGKILLed process becomes interrupted on open', async () => {
    const stateDir = dir();
    const mod = pathToFileURL(resolve('control/command-journal.ts')).href;
    const script = `
      import { openCommandJournal } from ${JSON.stringify(mod)};
      const j = await openCommandJournal({ stateDir: ${JSON.stringify(stateDir)} });
      await j.recordStarted('done@1', 'done');
      await j.recordFinished('done@1', { status: 'succeeded', exitCode: 0, signal: null, startedAt: null, finishedAt: null, durationMs: 1, outputTail: '', truncated: false });
      await j.recordStarted('slow@2', 'slow');
      process.stdout.write('started\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error('child did not record in time')), 30_000);
        child.stdout!.on('data', (d: Buffer) => {
          if (d.toString().includes('started')) {
            clearTimeout(t);
            res();
          }
        });
        child.on('exit', (code) => rej(new Error(`child exited ${code}`)));
      });
      child.kill('SIGKILL');
      await new Promise((res) => child.once('exit', res));
    } finally {
      child.kill('SIGKILL');
    }
    const j = await openCommandJournal({ stateDir });
    const r = j.lastRecord('slow@2');
    assert.equal(r?.event, 'interrupted');
    assert.equal(r?.status, 'interrupted');
    assert.ok(r?.startedAt);
    assert.equal(j.lastRecord('done@1')?.status, 'succeeded');
    await j.close();
    // Recorded: a second open sees the interruption, and does not record it again.
    const before = readFileSync(j.path, 'utf8');
    const j2 = await openCommandJournal({ stateDir });
    assert.equal(j2.lastRecord('slow@2')?.event, 'interrupted');
    await j2.close();
    assert.equal(readFileSync(j.path, 'utf8'), before);
  });

  it('drops a torn last line and garbage, and appends cleanly after it', async () => {
    const stateDir = dir();
    const j = await openCommandJournal({ stateDir });
    await j.recordStarted('a@1', 'a');
    await j.recordFinished('a@1', outcome('succeeded'));
    await j.close();
    appendFileSync(j.path, 'not json\n{"id":"b@2","name":"b","event":"sta');
    const j2 = await openCommandJournal({ stateDir });
    assert.equal(j2.lastRecord('b@2'), undefined);
    await j2.recordStarted('c@3', 'c');
    await j2.close();
    const j3 = await openCommandJournal({ stateDir });
    assert.equal(j3.lastRecord('c@3')?.event, 'interrupted');
    assert.equal(j3.lastRecord('a@1')?.status, 'succeeded');
    await j3.close();
  });

  it('compacts to the last record per id when the file grows', async () => {
    const stateDir = dir();
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const j = await openCommandJournal({ stateDir, compactAtBytes: 4000, keepOutputMs: 3600_000, now: () => new Date(clock) });
    for (let i = 0; i < 40; i++) {
      await j.recordStarted(`every@${i % 3}`, 'every');
      await j.recordFinished(`every@${i % 3}`, outcome(i % 2 ? 'failed' : 'succeeded', { outputTail: `run ${i}\n` }));
      clock += 60_000;
    }
    assert.ok(statSync(j.path).size <= 4000, `journal is ${statSync(j.path).size} bytes`);
    const last = j.all();
    assert.equal(last.length, 3);
    assert.equal(j.lastRecord('every@0')?.outputTail, 'run 39\n');
    clock += 2 * 3600_000; // older than keepOutputMs: tails are dropped at the next compaction
    for (let i = 0; i < 40; i++) await j.recordStarted(`fresh@${i}`, 'fresh').then(() => j.recordFinished(`fresh@${i}`, outcome('succeeded', { outputTail: 'x' })));
    assert.equal(j.lastRecord('every@0')?.outputTail, null);
    assert.equal(j.lastRecord('every@0')?.status, 'failed'); // run 39 was odd
    await j.close();
    const again = await openCommandJournal({ stateDir });
    assert.equal(again.all().length, 43);
    await again.close();
  });

  it('an unreadable journal is reported, not ignored', async () => {
    const stateDir = dir();
    const j = await openCommandJournal({ stateDir });
    await j.close();
    rmSync(j.path);
    // A directory in place of the file: opening must fail loudly rather than forget what ran.
    mkdirSync(j.path);
    await assert.rejects(openCommandJournal({ stateDir }), /EISDIR/);
  });
});

// readLine on a real stream: lines, backspace, Ctrl-C, and input after the line handed back.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { ServerChannel } from 'ssh2';
import { readLine } from '../../jump/line-reader.js';

function channel(): PassThrough & { written: string } {
  const p = new PassThrough() as PassThrough & { written: string };
  p.written = '';
  p.write = ((chunk: string) => {
    p.written += chunk;
    return true;
  }) as typeof p.write;
  return p;
}

describe('readLine', () => {
  const cases: { name: string; input: string[]; want: (string | null)[]; echo?: string }[] = [
    { name: 'one line', input: ['abc\r'], want: ['abc'] },
    { name: 'split chunks and CRLF', input: ['ab', 'c\r\n', 'd\n'], want: ['abc', 'd'] },
    { name: 'two lines in one chunk', input: ['s\recho hi\r'], want: ['s', 'echo hi'] },
    { name: 'backspace', input: ['abx\x7fc\r'], want: ['abc'], echo: 'abx\b \bc\r\n' },
    { name: 'ctrl-c', input: ['ab\x03rest\r'], want: [null, 'rest'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const ch = channel();
      const got: (string | null)[] = [];
      const reading = (async () => {
        for (let i = 0; i < c.want.length; i++) got.push(await readLine(ch as unknown as ServerChannel, { echo: true, pty: true }));
      })();
      for (const chunk of c.input) {
        // PassThrough.write is replaced for the echo; push input on the readable side
        ch.push(Buffer.from(chunk));
        await new Promise((r) => setImmediate(r));
      }
      await reading;
      assert.deepEqual(got, c.want);
      if (c.echo) assert.equal(ch.written, c.echo);
    });
  }
});

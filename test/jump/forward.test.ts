// Tunnel forwarding (jump/forward.ts) over real sockets: bytes counted and passed on in order,
// the end passed on, the chunks of one tick written together, and a destination that does not drain pauses the source only once it holds
// the limit (not at the socket's 16 KB mark), resuming it when it drains.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { forward } from '../../jump/forward.js';

/** A connected pair of loopback sockets. */
async function socketPair(): Promise<{ a: Socket; b: Socket; close: () => void }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = once(server, 'connection');
  const a = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [b] = (await accepted) as [Socket];
  return { a, b, close: () => (a.destroy(), b.destroy(), server.close()) };
}

describe('forward', () => {
  it('counts and passes on every byte in order, then the end', async () => {
    const { a, b, close } = await socketPair();
    const source = new PassThrough();
    let chunks = 0;
    const count = forward(source, a, () => chunks++);
    const received: Buffer[] = [];
    b.on('data', (d: Buffer) => received.push(d));
    const ended = once(b, 'end');
    const sent = Array.from({ length: 50 }, (_, i) => Buffer.alloc(32 * 1024 + i, i));
    for (const c of sent) source.write(c);
    source.end();
    await ended;
    assert.deepEqual(Buffer.concat(received), Buffer.concat(sent));
    assert.equal(count.bytes, Buffer.concat(sent).length);
    assert.equal(chunks, 50);
    close();
  });

  it('batches the chunks of one tick: the socket is corked until the tick ends, every byte still arrives in order', async () => {
    const { a, b, close } = await socketPair();
    const source = new PassThrough();
    const count = forward(source, a, () => undefined, undefined, a);
    const received: Buffer[] = [];
    b.on('data', (d: Buffer) => received.push(d));
    const sent = Array.from({ length: 3 }, (_, i) => Buffer.alloc(32 * 1024, i + 1));
    for (const c of sent) source.write(c);
    assert.equal(a.writableCorked, 1, 'corked while the tick runs');
    assert.equal(a.writableLength, 3 * 32 * 1024, 'the three chunks wait for one write');
    await new Promise((r) => process.nextTick(r));
    assert.equal(a.writableCorked, 0, 'uncorked once the tick ends');
    const ended = once(b, 'end');
    source.end();
    await ended;
    assert.deepEqual(Buffer.concat(received), Buffer.concat(sent));
    assert.equal(count.bytes, 3 * 32 * 1024);
    close();
  });

  it('pauses the source only once the destination holds the limit, and resumes it when drained', async () => {
    const { a, b, close } = await socketPair();
    b.pause(); // the far end reads nothing: the kernel buffers fill, then `a` holds the rest
    const source = new PassThrough();
    const limit = 1024 * 1024;
    forward(source, a, () => undefined, limit);
    const chunk = Buffer.alloc(32 * 1024, 7);
    source.write(chunk);
    await new Promise((r) => setImmediate(r));
    assert.equal(source.isPaused(), false, 'one 32 KB chunk over the 16 KB mark does not pause the source');
    const deadline = Date.now() + 60_000;
    while (!source.isPaused() && Date.now() < deadline) {
      source.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(source.isPaused(), true, 'paused once the destination holds the limit');
    assert.ok(a.writableLength >= limit);
    b.resume();
    while (source.isPaused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(source.isPaused(), false, 'resumed after the drain');
    close();
  });
});

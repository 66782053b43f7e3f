// Tunnel bytes one way between an SSH channel and a TCP socket: one 'data' listener counts the
// bytes, writes them on and, when the other side holds `limit` bytes not yet sent, pauses the
// source until they drain (a paused ssh2 channel stops adjusting its window, so the client stops
// sending). Not stream.pipe: a socket's write() says "wait" past 16 KB, so every 32 KB SSH packet
// paused the channel and resumed it; no second listener, no closure or copy per chunk either.
// Writes are batched per tick: the socket that finally carries the bytes (`batch`) is corked on
// the first chunk and uncorked once the current read is handled, so the SSH packets one read
// holds go out in one writev instead of one write (and one wake-up of the receiver) each.
import type { Duplex, Writable } from 'node:stream';

export interface ForwardCount {
  bytes: number;
}

/** What a tunnel lets the other side buffer before the source waits: one SSH channel window (ssh2's, 2 MB). */
export const FORWARD_LIMIT = 256 * 1024;

/**
 * Forwards `from`'s data to `to`, ends `to` when `from` ends; `onChunk` runs for each chunk.
 * `batch`: the socket the bytes end up on (`to` itself, or the SSH connection's socket under a
 * channel), corked until the end of the tick.
 */
export function forward(from: Duplex, to: Duplex, onChunk: () => void, limit = FORWARD_LIMIT, batch?: Writable): ForwardCount {
  const count: ForwardCount = { bytes: 0 };
  const resume = (): void => void from.resume();
  let corked = false;
  const uncork = (): void => {
    corked = false;
    batch!.uncork();
  };
  from.on('data', (chunk: Buffer) => {
    count.bytes += chunk.length;
    onChunk();
    if (batch && !corked && !batch.destroyed) {
      corked = true;
      batch.cork();
      process.nextTick(uncork);
    }
    // write() returning false arms 'drain' for when the buffer is empty again.
    if (!to.write(chunk) && to.writableLength >= limit) {
      from.pause();
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
  return count;
}

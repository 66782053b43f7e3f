// asciicast v2 recordings (https://docs.asciinema.org/manual/asciicast/v2/): a JSON header line,
// then one `[seconds, "o"|"i"|"r", data]` line per event. The encoder is pure; the recorder
// appends lines to one file per session. Output bytes are decoded as UTF-8 across chunk borders.
import { createWriteStream, type WriteStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export interface CastHeader {
  width: number;
  height: number;
  /** Unix seconds. */
  timestamp: number;
  title?: string;
  env?: Record<string, string>;
  /** drover extras: who and where. */
  user: string;
  device: string;
}

export function castHeaderLine(h: CastHeader): string {
  const { width, height, timestamp, title, env, user, device } = h;
  return JSON.stringify({ version: 2, width, height, timestamp, ...(title ? { title } : {}), ...(env ? { env } : {}), user, device }) + '\n';
}

export function castEventLine(seconds: number, kind: 'o' | 'i' | 'r', data: string): string {
  return JSON.stringify([Math.round(seconds * 1e6) / 1e6, kind, data]) + '\n';
}

export class CastRecorder {
  private readonly out: WriteStream;
  private readonly decoder = new StringDecoder('utf8');
  private readonly started: number;
  private closed = false;
  bytes = 0;

  constructor(readonly path: string, header: CastHeader, private readonly now: () => number = Date.now) {
    this.started = now();
    this.out = createWriteStream(path, { flags: 'wx', mode: 0o600 });
    this.out.on('error', () => undefined);
    this.out.write(castHeaderLine(header));
  }

  private t(): number {
    return (this.now() - this.started) / 1000;
  }

  output(chunk: Buffer | string): void {
    if (this.closed) return;
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (text) this.out.write(castEventLine(this.t(), 'o', text));
  }

  resize(cols: number, rows: number): void {
    if (!this.closed) this.out.write(castEventLine(this.t(), 'r', `${cols}x${rows}`));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    const rest = this.decoder.end();
    if (rest) this.out.write(castEventLine(this.t(), 'o', rest));
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

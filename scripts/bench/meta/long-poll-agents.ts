// Simulated agents for the commit-to-fleet benchmark (scripts/bench/meta/long-polls.ts), run as a
// separate process so meta and the agents do not share an event loop. Each agent keeps one
// keep-alive socket and behaves like the real one: a first heartbeat to learn its etag, then long
// polls (`?wait=`) with its current etag, sent again after a timeout or a 503; when an answer
// brings a new etag it records when (epoch ms) and long-polls with that one (the next round).
// The load client must cost far less than meta per answer, so it speaks HTTP/1.1 on plain sockets
// (one prepared request per agent, the answer read by its content-length) rather than through
// node:http's client machinery.
// Protocol on stdout, one JSON line each: {"registered":N}, then per round, once every registered agent
// got a new etag, {"round":K,"done":[ms|null,…],"polls":N,"again":{why:N}}; after a change each agent
// long-polls again with its new etag (the next round). The sockets stay open until the process is ended.
// Usage: node --import tsx long-poll-agents.ts URL TOKEN COUNT [ROUNDS]
import { connect, type Socket } from 'node:net';

const [url, token, countArg, roundsArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const ROUNDS = Number(roundsArg ?? 1);
const WAIT_S = 110;
const DEADLINE = Date.now() + 15 * 60_000;
const now = (): number => performance.timeOrigin + performance.now();
const { hostname, port } = new URL(url!);

const idOf = (i: number): string => `lp-${String(i).padStart(6, '0')}`;
function agentBody(i: number, etag: string | null): string {
  const id = idOf(i);
  const e = etag ? `"${etag}"` : 'null';
  return (
    `{"protocol":1,"device":{"id":"${id}","hostname":"${id}","labels":{"role":"web","site":"s${i % 20}"},` +
    `"facts":{"os":"linux","arch":"x86_64","agentVersion":"0.1.0"}},"etag":${e},"appliedEtag":${e},` +
    `"packages":[{"name":"hello-service","version":"1.0.0","state":"started","phase":"idle"}],"commands":[]}`
  );
}

function requestBytes(payload: string, wait: number): Buffer {
  const body = Buffer.from(payload);
  const head =
    `POST /v1/heartbeat${wait ? `?wait=${wait}` : ''} HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
    `content-type: application/json\r\nauthorization: Bearer ${token}\r\ncontent-length: ${body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

interface Answer {
  status: number;
  etag: string | null;
  code?: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');
const FAILED: Answer = { status: 0, etag: null };

/** One device: a keep-alive socket (opened again when meta closes it) and one request at a time. */
class Device {
  private socket: Socket | null = null;
  private buf: Buffer | null = null;
  private pending: ((a: Answer) => void) | null = null;
  private timer: NodeJS.Timeout | undefined;

  send(request: Buffer): Promise<Answer> {
    return new Promise((resolve) => {
      this.pending = resolve;
      this.buf = null;
      this.timer = setTimeout(() => this.fail(), (WAIT_S + 30) * 1000);
      if (!this.socket) {
        const s = connect({ host: hostname, port: Number(port) });
        s.setNoDelay(true);
        s.on('data', (d: Buffer) => this.onData(d));
        const lost = (): void => {
          if (this.socket !== s) return; // dropped on purpose
          this.socket = null;
          this.fail();
        };
        s.on('error', lost);
        s.on('close', lost);
        this.socket = s;
      }
      this.socket.write(request);
    });
  }

  private onData(d: Buffer): void {
    const buf = (this.buf = this.buf ? Buffer.concat([this.buf, d]) : d);
    const headEnd = buf.indexOf(HEAD_END);
    if (headEnd < 0) return;
    const head = buf.toString('latin1', 0, headEnd);
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
    if (!Number.isFinite(length)) return this.fail(true); // meta always sends a content-length
    if (buf.length < headEnd + 4 + length) return;
    const status = Number(head.slice(9, 12));
    if (/\r\nconnection: *close/i.test(head)) this.drop();
    // the etag comes early in the answer: read only the start of a 200's body
    const text = buf.toString('latin1', headEnd + 4, headEnd + 4 + (status === 200 ? Math.min(length, 256) : length));
    if (status === 200) return this.finish({ status, etag: (/"etag":"([^"]+)"/.exec(text) ?? [])[1] ?? null });
    this.finish({ status, etag: null, code: (/"(?:error|code)":"([A-Z_]+)"/.exec(text) ?? [])[1] });
  }

  private drop(): void {
    const s = this.socket;
    this.socket = null;
    s?.destroy();
  }

  private fail(drop = false): void {
    if (drop || this.pending) this.drop();
    this.finish(FAILED);
  }

  private finish(a: Answer): void {
    const resolve = this.pending;
    if (!resolve) return;
    this.pending = null;
    this.buf = null;
    clearTimeout(this.timer);
    resolve(a);
  }

  close(): void {
    this.drop();
  }
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const devices = Array.from({ length: COUNT }, () => new Device());
  const etags: (string | null)[] = new Array(COUNT).fill(null);
  const t0 = now();
  // 1. registration, 200 at a time (a fleet does not start in the same millisecond)
  let nextIndex = 0;
  await Promise.all(Array.from({ length: 200 }, async () => {
    for (let i = nextIndex++; i < COUNT; i = nextIndex++) {
      const first = requestBytes(agentBody(i, null), 0);
      while (Date.now() < DEADLINE) {
        const r = await devices[i]!.send(first);
        if (r.status === 200 && r.etag) {
          etags[i] = r.etag;
          break;
        }
        await pause(200 + Math.random() * 800);
      }
    }
  }));
  const registered = etags.filter(Boolean).length;
  process.stdout.write(JSON.stringify({ registered }) + '\n');
  // 2. per round, long polls until the etag changes; then again with the new etag for the next round
  // An agent polls for the next round only once every agent finished this one: the server's CPU time
  // in a round is answering, not parking the next round's polls.
  const rounds = Array.from({ length: ROUNDS }, () => {
    let over = (): void => {};
    const finished = new Promise<void>((r) => (over = r));
    return { done: new Array<number | null>(COUNT).fill(null), count: 0, polls: 0, again: {} as Record<string, number>, last503: 0, finished, over };
  });
  const finish = (k: number): Promise<void> => {
    const r = rounds[k]!;
    if (++r.count === registered) {
      process.stdout.write(JSON.stringify({ round: k, done: r.done, polls: r.polls, again: r.again, t0, last503: r.last503 }) + '\n');
      r.over();
    }
    return r.finished;
  };
  await Promise.all(etags.map(async (first, i) => {
    let etag = first;
    if (!etag) return;
    for (let k = 0; k < ROUNDS; k++) {
      const round = rounds[k]!;
      const poll = requestBytes(agentBody(i, etag), WAIT_S);
      while (Date.now() < DEADLINE) {
        round.polls++;
        const r = await devices[i]!.send(poll);
        if (r.status === 200 && r.etag && r.etag !== etag) {
          round.done[i] = now();
          etag = r.etag;
          break;
        }
        const why = r.status === 200 ? 'same etag (wait ran out)' : r.status === 0 ? 'connection error' : `HTTP ${r.status} ${r.code ?? ''}`.trim();
        round.again[why] = (round.again[why] ?? 0) + 1;
        if (r.status !== 200) round.last503 = now();
        if (r.status !== 200) await pause(200 + Math.random() * 800);
      }
      await finish(k);
    }
  }));
  // The sockets stay open after the last round: meta's CPU is read on the result, and closing
  // 10,000 connections is not part of bringing a commit to the fleet. They close when the
  // benchmark ends this process (or after a minute).
  setTimeout(() => {
    for (const d of devices) d.close();
  }, 60_000);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

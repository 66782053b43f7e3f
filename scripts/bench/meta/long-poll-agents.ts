// Simulated agents for the commit-to-fleet benchmark (scripts/bench/meta/long-polls.ts), run as a
// separate process so meta and the agents do not share an event loop. Each agent keeps one
// keep-alive socket and behaves like the real one: a first heartbeat to learn its etag, then long
// polls (`?wait=`) with its current etag, sent again after a timeout or a 503; it stops when an
// answer brings a new etag and records when (epoch ms).
// Protocol on stdout, one JSON line each: {"registered":N}, then {"done":[ms|null,…],"polls":N,"again":{why:N}}.
// Usage: node --import tsx long-poll-agents.ts URL TOKEN COUNT
import { Agent, request } from 'node:http';

const [url, token, countArg] = process.argv.slice(2);
const COUNT = Number(countArg);
const WAIT_S = 110;
const DEADLINE = Date.now() + 15 * 60_000;
const now = (): number => performance.timeOrigin + performance.now();

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

// One socket per agent: each agent has its own keep-alive Agent, as each device is its own client.
function post(agent: Agent, payload: string, wait: number): Promise<{ status: number; etag: string | null; code?: string }> {
  return new Promise((resolve) => {
    const req = request(`${url}/v1/heartbeat${wait ? `?wait=${wait}` : ''}`, {
      method: 'POST', agent,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      timeout: (WAIT_S + 30) * 1000,
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let etag: string | null = null;
        if (res.statusCode === 200) etag = (/"etag":"([^"]+)"/.exec(text) ?? [])[1] ?? null;
        resolve({ status: res.statusCode ?? 0, etag, code: (/"code":"([A-Z_]+)"/.exec(text) ?? [])[1] });
      });
      res.on('error', () => resolve({ status: 0, etag: null }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, etag: null }));
    req.end(payload);
  });
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const agents = Array.from({ length: COUNT }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const etags: (string | null)[] = new Array(COUNT).fill(null);
  let polls = 0;
  const again: Record<string, number> = {};
  const t0 = now();
  let last503 = 0;
  // 1. registration, 200 at a time (a fleet does not start in the same millisecond)
  let nextIndex = 0;
  await Promise.all(Array.from({ length: 200 }, async () => {
    for (let i = nextIndex++; i < COUNT; i = nextIndex++) {
      while (Date.now() < DEADLINE) {
        const r = await post(agents[i]!, agentBody(i, null), 0);
        if (r.status === 200 && r.etag) {
          etags[i] = r.etag;
          break;
        }
        await pause(200 + Math.random() * 800);
      }
    }
  }));
  process.stdout.write(JSON.stringify({ registered: etags.filter(Boolean).length }) + '\n');
  // 2. long polls until the etag changes
  const done: (number | null)[] = new Array(COUNT).fill(null);
  await Promise.all(etags.map(async (etag, i) => {
    if (!etag) return;
    const body = agentBody(i, etag);
    while (Date.now() < DEADLINE) {
      polls++;
      const r = await post(agents[i]!, body, WAIT_S);
      if (r.status === 200 && r.etag && r.etag !== etag) {
        done[i] = now();
        return;
      }
      const why = r.status === 200 ? 'same etag (wait ran out)' : r.status === 0 ? 'connection error' : `HTTP ${r.status} ${r.code ?? ''}`.trim();
      again[why] = (again[why] ?? 0) + 1;
      if (r.status !== 200) last503 = now();
      if (r.status !== 200) await pause(200 + Math.random() * 800);
    }
  }));
  for (const a of agents) a.destroy();
  process.stdout.write(JSON.stringify({ done, polls, again, t0, last503 }) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});

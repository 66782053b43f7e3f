// Dashboard benchmark: a real meta with N devices (default 10,000) created by real heartbeats,
// then chromium (Debian's, through playwright-core) on loopback:
//   - page load: navigation to the first rendered devices table (and to the rendered overview),
//     cold (first visit) and warm (reloads), from the page's own performance marks;
//   - the data endpoints' latency (a devices page by id, by condition, filtered; the overview);
//   - live events while every device heartbeats: how many events reach the browser (coalesced).
// Run: npm run bench:dashboard  (DROVER_BENCH_DEVICES=N to change the fleet size)
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CHROMIUM, launchBrowser } from '../../test/reconciler/web/browser.js';
import { startSeededMeta, type Kind } from '../../test/reconciler/web/seed-fleet.js';
import { parseDeviceQuery, queryDevices, type DeviceKeys, type DeviceQuery } from '../../reconciler/web/device-query.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;
const ms = (x: number): string => `${x.toFixed(1)} ms`;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** Drops the staged rollouts of the example fleet: its approved command and the packages' `rollout:`. */
function withoutRollouts(dir: string): void {
  writeFileSync(join(dir, 'control.yaml'), 'commands: []\n');
  for (const file of readdirSync(join(dir, 'packages')).map((f) => join(dir, 'packages', f))) {
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(/^(\s*)rollout:\n(?:\1\s+.*\n)+/gm, '').replace(/^\s*rollout: \{.*\}\n/gm, ''));
  }
}

/** The device table's query over 100,000 synthetic devices: what a page costs meta at that size. */
function queryAt100k(): void {
  const n = 100_000;
  const ids = Array.from({ length: n }, (_, i) => `dev-${String(i).padStart(6, '0')}`);
  const conditions = ['InSync', 'InSync', 'InSync', 'Progressing', 'Failed', 'Offline'];
  const index = new Map(ids.map((id, i) => [id, i]));
  const at = (id: string): number => index.get(id)!;
  const keys: DeviceKeys = {
    hostname: (id) => `h${(at(id) * 7919) % n}`,
    condition: (id) => conditions[at(id) % 6]!,
    lastSeen: (id) => (at(id) * 104729) % n,
    labels: (id) => ({ role: at(id) % 3 ? 'web' : 'db' }),
  };
  for (const raw of [{}, { offset: '99950' }, { sort: '-condition' }, { sort: 'lastSeen' }, { sort: 'hostname' }, { condition: 'Failed', label: 'role=web' }, { q: 'dev-0123' }]) {
    const q = parseDeviceQuery({ limit: '50', ...raw }, conditions) as DeviceQuery;
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      queryDevices(ids, keys, q);
      times.push(performance.now() - t);
    }
    console.log(`dashboard: device query, 100,000 devices, page of 50 ${JSON.stringify(raw).padEnd(40)} median ${ms(median(times))}`);
  }
}

export async function run(): Promise<void> {
  console.log(`dashboard: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores (figures scale with it)`);
  queryAt100k();
  if (!existsSync(CHROMIUM)) {
    console.log(`dashboard: skipped, no chromium at ${CHROMIUM}`);
    return;
  }
  const n = Number(process.env.DROVER_BENCH_DEVICES ?? 10_000);
  // Staged rollouts are control's to measure: without them, seeding measures the dashboard's meta.
  const s = await startSeededMeta({ edit: withoutRollouts });
  const browser = await launchBrowser();
  try {
    const t0 = Date.now();
    const kinds: [string, Record<string, string>, Kind][] = [];
    for (let i = 0; i < n; i++) {
      const id = `dev-${String(i).padStart(6, '0')}`;
      const labels = { role: i % 3 === 0 ? 'db' : 'web', site: ['bj', 'sh', 'gz', 'sz'][i % 4]! };
      const kind: Kind = i % 50 === 0 ? 'offline' : i % 20 === 0 ? 'failed' : i % 12 === 0 ? 'progressing' : 'insync';
      kinds.push([id, labels, kind]);
    }
    for (const [id, labels, kind] of kinds.filter((k) => k[2] === 'offline')) await s.seed(id, labels, kind); // one at a time: they set meta's clock back
    await pool(kinds.filter((k) => k[2] !== 'offline'), 32, ([id, labels, kind]) => s.seed(id, labels, kind));
    console.log(`dashboard: seeded ${n} devices through real heartbeats in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Data endpoints, admin bearer token.
    const auth = { authorization: `Bearer ${s.adminToken}` };
    // The first request of a sorted or filtered view makes its order; the next ones within two
    // seconds page through the cached order (what paging and live refreshes do): both are shown.
    const timeGet = async (path: string, runs = 20): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const res = await fetch(`${s.url}${path}`, { headers: auth });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        times.push(performance.now() - t);
      }
      return times;
    };
    for (const path of ['/ui/api/overview', '/ui/api/devices?limit=50', '/ui/api/devices?limit=50&offset=5000', '/ui/api/devices?limit=50&sort=-condition', '/ui/api/devices?limit=50&sort=-lastSeen', '/ui/api/devices?limit=50&condition=Failed&label=role=web', '/ui/api/devices?limit=50&q=dev-0099']) {
      const times = await timeGet(path);
      console.log(`dashboard: GET ${path.padEnd(58)} first ${ms(times[0]!)}, median ${ms(median(times))}`);
    }

    // Page load in chromium: sign in once, then navigate and read the page's performance marks.
    const page = await browser.context.newPage();
    await page.goto(`${s.url}/ui/`);
    await page.fill('#token', s.adminToken);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#view[data-view="overview"][data-ready="true"]');
    const load = async (hash: string, mark: string, selector: string): Promise<number> => {
      await page.goto('about:blank');
      await page.goto(`${s.url}/ui/#/${hash}`);
      await page.waitForSelector(selector, { timeout: 30_000 });
      return page.evaluate((m) => performance.getEntriesByName(m)[0]!.startTime, mark);
    };
    const runs = 10;
    for (const [name, hash, mark, selector] of [
      ['devices table', 'devices', 'drover:devices-rendered', 'table.devices tbody tr[data-id]'],
      ['overview', 'overview', 'drover:overview-rendered', '#view[data-view="overview"][data-ready="true"]'],
    ] as const) {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) times.push(await load(hash, mark, selector));
      console.log(`dashboard: page load to rendered ${name.padEnd(14)} (${n} devices) first ${ms(times[0]!)}, median ${ms(median(times))}, p90 ${ms(pct(times, 0.9))} over ${runs} loads (aim < 1000 ms)`);
    }
    const rows = await page.goto(`${s.url}/ui/#/devices`).then(() => page.waitForSelector('table.devices tbody tr[data-id]')).then(() => page.locator('table.devices tbody tr').count());
    console.log(`dashboard: rows in the DOM for ${n} devices: ${rows} (one page)`);

    // Live: every device heartbeats as fast as the load client can for a while; count the events.
    await page.waitForSelector('#live[data-state="up"]');
    const before = Number(await page.evaluate(() => document.body.dataset.liveEvents ?? '0'));
    const seconds = 5;
    const until = Date.now() + seconds * 1000;
    let beats = 0;
    const ids = kinds.filter((k) => k[2] === 'progressing').map((k) => k[0]);
    await Promise.all(Array.from({ length: 32 }, async (_, w) => {
      for (let i = w; Date.now() < until; i += 32) {
        const id = ids[i % ids.length]!;
        const res = await fetch(`${s.url}/v1/heartbeat`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${s.agentToken}` }, body: JSON.stringify({ protocol: 1, device: { id, labels: {}, facts: {} }, etag: null, appliedEtag: null }) });
        await res.arrayBuffer();
        beats++;
      }
    }));
    await new Promise((r) => setTimeout(r, 1200));
    const events = Number(await page.evaluate(() => document.body.dataset.liveEvents ?? '0')) - before;
    console.log(`dashboard: live: ${beats} heartbeats in ${seconds} s (${Math.round(beats / seconds)}/s) reached the browser as ${events} coalesced events (${(events / seconds).toFixed(1)}/s)`);
  } finally {
    await browser.close();
    await s.stop();
  }
}

declare const document: { body: { dataset: Record<string, string | undefined> } };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  });
}

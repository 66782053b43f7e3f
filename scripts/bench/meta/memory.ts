// Memory per registered device in meta's in-memory structures (registry, desired-state cache,
// conditions, the rollout gate once it has evaluated), measured in a fresh process with --expose-gc. Each device goes through the same path as
// a heartbeat (schema parse, registry.observe and the body's hash, desired.get, conditions.track) with a realistic
// idle report (two packages). Prints one JSON line: { devices, bytes, bytesPerDevice, gateBytesPerDevice, ms }.
// Usage: node --expose-gc --import tsx scripts/bench/meta/memory.ts N   (BENCH_HEAP_SNAPSHOT=FILE: a V8 heap snapshot
// written at the end, to account the bytes by structure)
import { hash } from 'node:crypto';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { dirTreeReader } from '../../../lib/dir-tree-reader.js';
import { silentLogger } from '../../../lib/log.js';
import { DesiredState } from '../../../reconciler/desired/desired-state.js';
import { DeviceRegistry } from '../../../reconciler/registry/device-registry.js';
import { KnownDevices } from '../../../reconciler/registry/known-devices.js';
import { Rollouts } from '../../../reconciler/rollouts/rollouts.js';
import { ConditionTracker } from '../../../reconciler/status/condition-tracker.js';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { compileFleet } from '../../../specs/resolve/compile-fleet.js';
import { HeartbeatRequestSchema } from '../../../specs/wire/heartbeat.js';
import { nullStore } from '../../../test/helpers/null-store.js';

const N = Number(process.argv[2] ?? 100_000);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

// The store is measured elsewhere (its queue drains every second); here it drops writes.
const store = nullStore();

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../../examples/fleet');
const loaded = await loadFleet(dirTreeReader(root), { revision: 'bench' });
if (!loaded.ok) throw new Error('example fleet invalid');
const registry = new DeviceRegistry(store);
const desired = new DesiredState({ log: silentLogger(), reportedLabels: (id) => registry.get(id)?.reportedLabels, slot: (id) => registry.get(id) });
desired.setFleet(compileFleet(loaded.spec), 'bench');
const conditions = new ConditionTracker(desired, registry, store);
const rollouts = await Rollouts.open({ log: silentLogger(), clock: { now: () => Date.now() }, desired, registry, devices: new KnownDevices(registry, desired), store }, { sweepMs: 0, throttleMs: 3_600_000 });

gc();
gc();
const before = process.memoryUsage();
const t0 = performance.now();
const now = Date.now();
let etag: string | null = null;
for (let i = 0; i < N; i++) {
  const id = `device-${String(i).padStart(7, '0')}`;
  const site = `site-${i % 50}`;
  const body = {
    protocol: 1,
    device: { id, hostname: id, labels: { role: i % 3 ? 'web' : 'db', site }, facts: { os: 'linux', arch: 'x86_64', agentVersion: '0.1.0', addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`] } },
    etag,
    appliedEtag: etag,
    packages: [
      { name: 'hello-service', version: '1.0.0', state: 'started', phase: 'idle', pid: 1000 + (i % 30000) },
      ...(i % 3 ? [{ name: 'metrics-exporter', version: '0.3.0', state: 'started', phase: 'idle', pid: 2000 + (i % 30000) }] : []),
    ],
    commands: [],
  };
  // As the route reads it: the raw text parsed (strings of its own, as off the wire), then validated.
  // Each heartbeat has its own time (the route reads the clock per request): a time is a number of its own.
  const at = now - (i % 1000);
  const raw = JSON.stringify(body);
  const hb = HeartbeatRequestSchema.parse(JSON.parse(raw));
  const { record } = registry.observe(hb, at);
  const entry = desired.get(record.id, record)!; // as the route asks
  hb.etag = entry.etag;
  hb.appliedEtag = entry.etag;
  registry.observe(hb, at);
  // what the route keeps for the idle fast path: the hash of the raw (idle) body
  registry.rememberBody(record, hash('sha1', JSON.stringify({ ...body, etag: entry.etag, appliedEtag: entry.etag }), 'binary'));
  conditions.track(record, at, { packages: hb.packages, commands: hb.commands });
  etag = null;
}
const ms = performance.now() - t0;
gc();
gc();
// external includes the ArrayBuffers (m.arrayBuffers is a part of it, not counted twice).
const used = (m: NodeJS.MemoryUsage): number => m.heapUsed + m.external;
const beforeGate = process.memoryUsage();
rollouts.gate.evaluate(); // releases, standings and plans of every rollout over every device
gc();
gc();
const after = process.memoryUsage();
const bytes = used(after) - used(before);
const gateBytes = used(after) - used(beforeGate);
const counts = conditions.counts(now);
if (process.env.BENCH_HEAP_SNAPSHOT) writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
rollouts.close();
process.stdout.write(JSON.stringify({ devices: registry.size, bytes, bytesPerDevice: Math.round(bytes / N), gateBytesPerDevice: Math.round(gateBytes / N), rssMB: Math.round(after.rss / 1048576), ms: Math.round(ms), inSync: counts.InSync }) + '\n');

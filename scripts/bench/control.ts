// Benchmark of the rollout gate with 100,000 devices: the document transform's cost per heartbeat
// (what every document computation pays), and a full rollout evaluation (what a batch of new
// results costs, at most every 100 ms), from the first step to everyone released.
// Run: npm run bench:control
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RolloutGate } from '../../reconciler/rollouts/rollout-gate.js';
import { RolloutStore } from '../../reconciler/rollouts/rollout-store.js';
import { openSqliteStore } from '../../reconciler/store/sqlite-store.js';
import { silentLogger } from '../../lib/log.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { memoryTree } from '../../specs/load/tree-reader.js';
import { compileFleet } from '../../specs/resolve/compile-fleet.js';
import { resolveDevice } from '../../specs/resolve/resolve-device.js';

const N = Number(process.env.BENCH_DEVICES ?? 100_000);

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-bench-control-'));
  try {
    const loaded = await loadFleet(
      memoryTree({
        'fleet.yaml': 'heartbeat: 60s\n',
        'control.yaml': 'commands:\n  - name: clean\n    run: echo clean\n    select: { labels: { role: web } }\n    rollout: { steps: [1, 10%, 100%], maxFailures: 5 }\n',
        'packages/svc.yaml': `version: "1.0.0"\nartifact: { url: "http://x/svc.tgz", sha256: ${'a'.repeat(64)} }\nrollout: { steps: [1, 10%, 100%] }\n`,
      }),
      { revision: 'r1' },
    );
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
    const fleet = compileFleet(loaded.spec);
    const ids = Array.from({ length: N }, (_, i) => `dev-${String(i).padStart(6, '0')}`);
    const labels = Object.freeze({ role: 'web' });
    const commands = new Map<string, string>();
    const packages = new Map<string, string>();
    const now = Date.now();
    const store = await openSqliteStore({ path: join(dir, 'meta.db'), log: silentLogger() });
    const gate = new RolloutGate({
      store: await RolloutStore.open(store),
      log: silentLogger(),
      now: () => Date.now(),
      deviceIds: () => ids,
      labelsOf: () => labels,
      lastSeen: () => now,
      commandsJson: (id) => commands.get(id),
      packagesJson: (id) => packages.get(id),
      offlineAfterMs: () => 3_600_000,
      invalidate: () => undefined,
      sweepMs: 0,
    });
    gate.setFleet(fleet, 'r1');
    const ctx = (id: string) => ({ deviceId: id, labels, revision: 'r1', compiled: fleet });
    const docs = ids.slice(0, 10_000).map((id) => resolveDevice(fleet, { id, labels }).document);

    // Transform cost per document (the per-heartbeat overhead when a document is recomputed).
    for (let i = 0; i < docs.length; i++) gate.transform(ctx(ids[i]!), docs[i]!); // warm-up, baselines
    const rounds = 20;
    let t = process.hrtime.bigint();
    for (let r = 0; r < rounds; r++) for (let i = 0; i < docs.length; i++) gate.transform(ctx(ids[i]!), docs[i]!);
    const perTransformNs = Number(process.hrtime.bigint() - t) / (rounds * docs.length);

    // Evaluations: first one (orders 100k devices by hash), then as every released device succeeds.
    const id = fleet.commands[0]!.fixed!.value.id;
    const evalTimes: { what: string; ms: number; released: number }[] = [];
    const timeEval = (what: string): void => {
      const t0 = process.hrtime.bigint();
      gate.evaluate();
      const r = gate.commandRollout('clean')!;
      evalTimes.push({ what, ms: Number(process.hrtime.bigint() - t0) / 1e6, released: r.released.size });
    };
    timeEval('first evaluation (orders the devices)');
    timeEval('nothing changed');
    for (let step = 0; step < 3; step++) {
      for (const dev of gate.commandRollout('clean')!.released) {
        commands.set(dev, JSON.stringify([{ id, name: 'clean', status: 'succeeded', exitCode: 0 }]));
        packages.set(dev, JSON.stringify([{ name: 'svc', version: '1.0.0', state: 'started', phase: 'idle' }]));
        gate.notify(dev);
      }
      timeEval(`after step ${step + 1} succeeded`);
      if (step === 1) {
        // Steady state at 100,000 released: one more result arrives.
        const dev = [...gate.commandRollout('clean')!.released].find((d) => !commands.has(d))!;
        commands.set(dev, JSON.stringify([{ id, name: 'clean', status: 'succeeded', exitCode: 0 }]));
        gate.notify(dev);
        timeEval('one new result with 100,000 released (steady state)');
      }
    }
    timeEval('done, all 100% reported');
    gate.notify(ids[0]!);
    timeEval('one more result on a done rollout');

    // A heartbeat that reports a new result: notify() only marks dirty; cost is in the evaluation above.
    t = process.hrtime.bigint();
    for (let i = 0; i < 100_000; i++) gate.notify(ids[i % N]!);
    const perNotifyNs = Number(process.hrtime.bigint() - t) / 100_000;
    gate.close();
    await store.close();

    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log(`rollout gate, ${N.toLocaleString('en')} devices (one command and one package rollout):`);
    console.log(`  transform per document: ${(perTransformNs / 1000).toFixed(2)} µs`);
    console.log(`  notify per heartbeat with new results: ${perNotifyNs.toFixed(0)} ns (evaluation batched, at most every 100 ms)`);
    for (const e of evalTimes) console.log(`  evaluate both rollouts, ${e.what}: ${e.ms.toFixed(1)} ms (released ${e.released.toLocaleString('en')})`);
    console.log(`  process RSS: ${rss.toFixed(0)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  run().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}

// `npm run bench:meta` section: heartbeats whose report changes state (each brings a new finished
// command result), so every answer waits for the store's commit (group commit), beside idle
// heartbeats of the same devices and the bare fastify reference, in alternating rounds.
import type { MetaBenchContext, MetaBenchSection } from '../meta.js';
import { compareRounds } from '../lib/compare-rounds.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const ROUND_SECONDS = Number(process.env.BENCH_SECONDS ?? 5);

/** Device i's idle body with one new succeeded command result (a new identity each call). */
export function changingBody(ctx: MetaBenchContext): () => string {
  let n = 0;
  return () => {
    const i = Math.floor(Math.random() * ctx.devices);
    const idle = ctx.idleBody(i);
    const k = n++;
    const command = `{"id":"bench-${k}@c0ffee","name":"bench-${k}","status":"succeeded","exitCode":0,"finishedAt":"${new Date().toISOString()}","durationMs":12,"outputTail":"ok\\n"}`;
    return idle.replace(/"commands":\[\]\}$/, `"commands":[${command}]}`);
  };
}

export const stateChangingSection: MetaBenchSection = {
  id: 'state-changing',
  name: 'state-changing heartbeats (acknowledged after commit)',
  async run(ctx) {
    await compareRounds({
      title: `  POST /v1/heartbeat with a new command result each (answered after the store commits), idle ones of the same ${ctx.devices.toLocaleString('en')} devices, and the bare reference`,
      targets: [{ ...ctx.meta, name: 'meta-changing', body: changingBody(ctx) }, { ...ctx.meta, name: 'meta-idle' }, ctx.reference],
      rounds: ROUNDS,
      seconds: ROUND_SECONDS,
      connections: 32,
      print: (l) => console.log(`  ${l}`),
    });
  },
};

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDaemon, type DaemonContext } from '../../cli/run-daemon.js';
import { DroverError } from '../../lib/errors.js';

interface Cfg {
  logLevel?: string;
}

function fake(onStart: (ctx: DaemonContext) => void = () => undefined) {
  const events: string[] = [];
  const spec = {
    name: 'meta' as const,
    load: (argv: string[]) => (argv.includes('--help') ? { help: 'usage\n' } : { config: { logLevel: 'silent' } as Cfg }),
    async start(_config: Cfg, ctx: DaemonContext) {
      events.push('start');
      queueMicrotask(() => onStart(ctx));
      return { close: async () => void events.push('close') };
    },
  };
  return { spec, events };
}

describe('runDaemon', () => {
  it('closes the daemon on SIGTERM and exits 0', async () => {
    const { spec, events } = fake(() => process.kill(process.pid, 'SIGTERM'));
    const keepAlive = setInterval(() => undefined, 1000); // the signal arrives from outside the event loop
    try {
      assert.equal(await runDaemon([], spec), 0);
    } finally {
      clearInterval(keepAlive);
    }
    assert.deepEqual(events, ['start', 'close']);
    assert.equal(process.listenerCount('SIGTERM'), 0);
  });

  it('ends with the code a daemon asks for, after closing it', async () => {
    const { spec, events } = fake((ctx) => ctx.exit(75));
    assert.equal(await runDaemon([], spec), 75);
    assert.deepEqual(events, ['start', 'close']);
  });

  it('throws a start failure (cli/main prints it and picks the exit code)', async () => {
    const spec = { name: 'agent' as const, load: () => ({ config: { logLevel: 'silent' } }), start: async () => Promise.reject(new DroverError('LISTEN_FAILED', 'no')) };
    await assert.rejects(runDaemon([], spec), (err: unknown) => err instanceof DroverError && err.code === 'LISTEN_FAILED');
    assert.equal(process.listenerCount('SIGINT'), 0);
  });

  it('prints --help and exits 0 without starting', async () => {
    const { spec, events } = fake();
    const write = process.stdout.write;
    let out = '';
    process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
    try {
      assert.equal(await runDaemon(['--help'], spec), 0);
    } finally {
      process.stdout.write = write;
    }
    assert.equal(out, 'usage\n');
    assert.deepEqual(events, []);
  });
});

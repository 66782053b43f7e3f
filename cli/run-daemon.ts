// The one way `drover meta`, `drover agent` and `drover jump` run: load and validate the
// configuration (--help prints and exits 0), make the logger (--log-level), start the daemon,
// and on the first SIGINT/SIGTERM close it and exit 0; a second signal exits 130 at once; SIGHUP
// asks the daemon to read its certificates and secret files again (`reload`). A
// daemon may also end by itself with an exit code (jump restarting at meta's request). A failure
// to start throws: cli/main.ts prints it and exits 2 for a configuration error, 1 otherwise.
import { createLogger, type Logger } from '../lib/log.js';

export interface Daemon {
  close(): Promise<void>;
  /** SIGHUP: read certificates and secret files again. */
  reload?(): void;
}

export interface DaemonContext {
  log: Logger;
  /** Ends the daemon with this exit code (after closing it). */
  exit(code: number): void;
}

export interface DaemonSpec<C extends { logLevel?: string }> {
  name: 'meta' | 'agent' | 'jump';
  load(argv: string[]): { config?: C; help?: string };
  start(config: C, ctx: DaemonContext): Promise<Daemon>;
  /** After closing, exit the process this much later even if a handle is left open. */
  forceExitAfterMs?: number;
}

export async function runDaemon<C extends { logLevel?: string }>(argv: string[], spec: DaemonSpec<C>): Promise<number> {
  const { config, help } = spec.load(argv);
  if (help !== undefined || !config) {
    process.stdout.write(help ?? '');
    return 0;
  }
  const log = createLogger({ name: spec.name, level: config.logLevel });
  return new Promise<number>((resolve, reject) => {
    let exitCode: number | null = null;
    let started: Promise<Daemon> | undefined;
    let daemon: Daemon | undefined;
    const onHangup = (): void => daemon?.reload?.();
    const off = (): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
    };
    const onSignal = (signal: NodeJS.Signals): void => {
      if (exitCode !== null) process.exit(130); // a second signal: leave at once
      log.info({ signal }, 'stopping');
      exit(0);
    };
    const exit = (code: number): void => {
      if (exitCode !== null) return;
      exitCode = code;
      void started!
        .then((d) => d.close())
        .then(
          () => {
            resolve(code);
            if (spec.forceExitAfterMs !== undefined) setTimeout(() => process.exit(code), spec.forceExitAfterMs).unref();
          },
          (err: unknown) => {
            log.error({ err }, 'close failed');
            resolve(code || 1);
          },
        )
        .finally(off);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onHangup);
    started = spec.start(config, { log, exit });
    started.then(
      (d) => void (daemon = d),
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}

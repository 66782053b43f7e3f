// `drover jump`: loads the configuration, starts the server, and exits cleanly on SIGTERM/SIGINT
// (draining first, closing what is left at --drain-timeout). When meta asks for a restart, jump drains and exits with RESTART_EXIT_CODE,
// which jump/control and the systemd unit restart on.
import { createLogger } from '../lib/log.js';
import { loadJumpConfig } from './config.js';
import { startJump } from './start-jump.js';

export const RESTART_EXIT_CODE = 75;

export async function runJump(argv: string[]): Promise<number> {
  const { config, help } = loadJumpConfig(argv);
  if (help) {
    process.stdout.write(help);
    return 0;
  }
  const log = createLogger({ name: 'jump' });
  return new Promise<number>((resolve, reject) => {
    let finishing = false;
    const finish = (code: number): void => {
      if (finishing) return;
      finishing = true;
      void jump.then((j) => j.close()).finally(() => {
        resolve(code);
        // Nothing may keep a drained jump alive: exit even if a handle is left open.
        setTimeout(() => process.exit(code), 2000).unref();
      });
    };
    const jump = startJump(config!, { log, onRestarted: () => finish(RESTART_EXIT_CODE) });
    jump.catch(reject);
    const onSignal = (signal: string): void => {
      log.info({ signal }, 'stopping: draining sessions');
      void jump.then((j) => j.drain(config!.drainTimeoutMs)).finally(() => finish(0));
    };
    process.once('SIGTERM', () => onSignal('SIGTERM'));
    process.once('SIGINT', () => onSignal('SIGINT'));
  });
}

// drover meta: runs the server at the centre (see reconciler/).
import { errorMessage } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import { loadMetaConfig } from '../reconciler/config.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  summary: 'run meta: pull the fleet repository, answer agent heartbeats, show fleet status',
  async run(argv) {
    const { config, help } = loadMetaConfig(argv);
    if (help) {
      process.stdout.write(help);
      return 0;
    }
    const { startMeta } = await import('../reconciler/main.js');
    const log = createLogger({ name: 'meta' });
    const meta = await startMeta(config!, { log });
    // SIGHUP: read the TLS certificate and key and the secret files again (parked long polls are
    // kept). A configuration that no longer loads is logged and the running one stays.
    const hup = (): void => {
      meta.reloadTls();
      try {
        const fresh = loadMetaConfig(argv).config;
        if (fresh) meta.reloadSecrets(fresh);
      } catch (err) {
        log.warn({ error: errorMessage(err) }, 'configuration did not load again: the running secrets stay');
      }
    };
    process.on('SIGHUP', hup);
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        log.info({ signal }, 'stopping');
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('SIGHUP', hup);
        void meta.close().then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

// drover meta: runs the server at the centre (see reconciler/).
import { errorMessage } from '../lib/errors.js';
import { META_SPEC, loadMetaConfig } from '../reconciler/config.js';
import type { CliCommand } from './command.js';
import { runDaemon } from './run-daemon.js';

export const command: CliCommand = {
  spec: META_SPEC,
  summary: 'run meta: pull the fleet repository, answer agent heartbeats, show fleet status',
  run: (argv) =>
    runDaemon(argv, {
      name: 'meta',
      load: loadMetaConfig,
      async start(config, { log }) {
        const { startMeta } = await import('../reconciler/main.js');
        const meta = await startMeta(config, { log });
        return {
          close: () => meta.close(),
          // SIGHUP: read the TLS certificate and key and the secret files again (parked long polls
          // are kept). A configuration that no longer loads is logged and the running one stays.
          reload() {
            meta.reloadTls();
            try {
              const fresh = loadMetaConfig(argv).config;
              if (fresh) meta.reloadSecrets(fresh);
            } catch (err) {
              log.warn({ error: errorMessage(err) }, 'configuration did not load again: the running secrets stay');
            }
          },
        };
      },
    }),
};

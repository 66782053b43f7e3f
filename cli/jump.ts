// drover jump: the SSH bastion (see jump/); `drover jump kick USER` closes a user's connections.
// A signal drains the sessions first (closing what is left at --drain-timeout); when meta asks for
// a restart, jump drains and exits with RESTART_EXIT_CODE, which jump/control and the systemd
// unit restart on. SIGHUP reads the secret files and --ca again without dropping a connection.
import { jumpSpec, loadJumpConfig, RESTART_EXIT_CODE } from '../jump/config.js';
import { errorMessage } from '../lib/errors.js';
import type { CliCommand } from './command.js';
import { runDaemon } from './run-daemon.js';

export const command: CliCommand = {
  spec: jumpSpec,
  subcommands: { kick: async () => (await import('./jump-kick.js')).command },
  summary: 'the SSH bastion: password + one-time code, device menu, ssh -J, audit and recordings',
  async run(argv) {
    if (argv[0] === 'kick') return (await import('./jump-kick.js')).command.run(argv.slice(1));
    return runDaemon(argv, {
      name: 'jump',
      load: loadJumpConfig,
      // Nothing may keep a drained jump alive: exit even if a handle is left open.
      forceExitAfterMs: 2000,
      async start(config, { log, exit }) {
        const { startJump } = await import('../jump/start-jump.js');
        const jump = await startJump(config, { log, onRestarted: () => exit(RESTART_EXIT_CODE) });
        return {
          async close() {
            log.info('draining sessions');
            await jump.drain(config.drainTimeoutMs);
            await jump.close();
          },
          // SIGHUP: read the secret files (--meta-token-file, …) and --ca again; connections stay.
          // A configuration that no longer loads is logged and the running secrets stay.
          reload() {
            try {
              const fresh = loadJumpConfig(argv).config;
              if (fresh) jump.reloadSecrets(fresh);
            } catch (err) {
              log.warn({ error: errorMessage(err) }, 'configuration did not load again: the running secrets stay');
            }
          },
        };
      },
    });
  },
};

// drover agent: the device agent (see agent/).
import { agentSpec, loadAgentConfig } from '../agent/config.js';
import { errorMessage } from '../lib/errors.js';
import type { CliCommand } from './command.js';
import { runDaemon } from './run-daemon.js';

export const command: CliCommand = {
  spec: agentSpec,
  summary: 'run the device agent',
  async run(argv) {
    // A trial run of a new build, or an agent that upgraded itself before this start (agent/self-update/).
    const { selfUpdateEntry } = await import('../agent/self-update/agent-entry.js');
    const early = await selfUpdateEntry(argv);
    if (early !== null) return early;
    return runDaemon(argv, {
      name: 'agent',
      load: loadAgentConfig,
      async start(config, { log }) {
        const { startAgent } = await import('../agent/main.js');
        const agent = await startAgent(config, { log, argv });
        return {
          close: () => agent.close(),
          // SIGHUP: read --token-file again.
          reload() {
            try {
              const fresh = loadAgentConfig(argv).config;
              // An enrolling agent keeps the credential meta gave it; only the enrollment token is read again.
              if (fresh?.enrollToken) agent.setEnrollToken(fresh.enrollToken);
              else agent.setToken(fresh?.token ?? null);
              log.info('SIGHUP: token read again');
            } catch (err) {
              log.warn({ error: errorMessage(err) }, 'SIGHUP: configuration did not load again; keeping the token');
            }
          },
        };
      },
    });
  },
};

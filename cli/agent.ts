// drover agent: the device agent. Runs until SIGINT/SIGTERM.
import { loadAgentConfig } from '../agent/config.js';
import type { CliCommand } from './command.js';

export const command: CliCommand = {
  summary: 'run the device agent',
  async run(argv) {
    const { config, help } = loadAgentConfig(argv);
    if (help) {
      process.stdout.write(help);
      return 0;
    }
    const { startAgent } = await import('../agent/main.js');
    const agent = await startAgent(config!);
    await new Promise<void>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) process.exit(130); // a second Ctrl-C: leave at once
        process.stderr.write(`drover agent: ${sig}, stopping\n`);
        agent.stop().then(resolve, resolve);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      // SIGHUP: read --token-file again.
      process.on('SIGHUP', () => {
        try {
          agent.setToken(loadAgentConfig(argv).config?.token ?? null);
          process.stderr.write('drover agent: SIGHUP, token read again\n');
        } catch (err) {
          process.stderr.write(`drover agent: SIGHUP: configuration did not load again (${(err as Error).message}); keeping the token\n`);
        }
      });
    });
    return 0;
  },
};

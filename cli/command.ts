// What every `drover` subcommand module exports, and the usual way to make one.
import { loadConfig, type CommandSpec, type LoadedConfig } from '../lib/config.js';

export interface CliCommand {
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}

/**
 * A command whose options are declared in `spec`: `--help` prints the rendered help and exits 0,
 * anything else reaches `handler` with the loaded configuration.
 */
export function defineCommand(
  spec: CommandSpec,
  handler: (cfg: LoadedConfig) => Promise<number>,
  opts: { prepareArgv?: (argv: string[]) => string[] } = {},
): CliCommand {
  return {
    summary: spec.summary,
    async run(argv) {
      const cfg = loadConfig(spec, opts.prepareArgv ? opts.prepareArgv(argv) : argv);
      if (cfg.help) {
        process.stdout.write(cfg.help);
        return 0;
      }
      return handler(cfg);
    },
  };
}

// What every `drover` subcommand module exports, and the usual way to make one.
import { loadConfig, type CommandSpec, type LoadedConfig } from '../lib/config.js';

export interface CliCommand {
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
  /** Its options (for completion and the documentation); absent for a command without any. */
  spec?: CommandSpec;
  /** Its subcommands (`drover rollouts pause`), loaded on demand. */
  subcommands?: Record<string, () => Promise<CliCommand>>;
}

/**
 * A command made of subcommands (`drover rollouts list|pause|resume`): the first word picks
 * one; no word (or an option first) runs `fallback`.
 */
export function defineGroup(name: string, summary: string, subcommands: Record<string, () => Promise<CliCommand>>, fallback?: string): CliCommand {
  return {
    summary,
    subcommands,
    async run(argv) {
      const [first, ...rest] = argv;
      const asksHelp = first === '--help' || first === '-h' || first === 'help';
      const pick = first === undefined || (first.startsWith('-') && !asksHelp) ? fallback : first;
      const load = pick === undefined ? undefined : subcommands[pick];
      if (!load) {
        const rows = await Promise.all(Object.entries(subcommands).map(async ([n, l]) => `  ${n.padEnd(10)}${(await l()).summary.split('\n')[0]}`));
        const out = [`Usage: drover ${name} ${Object.keys(subcommands).join('|')} [options]    (drover ${name} SUBCOMMAND --help for its options)`, '', summary, '', ...rows, ''].join('\n');
        if (asksHelp) {
          process.stdout.write(out);
          return 0;
        }
        process.stderr.write(`drover ${name}: unknown subcommand "${first ?? ''}"\n\n${out}`);
        return 2;
      }
      const sub = await load();
      return sub.run(pick === first ? rest : argv);
    },
  };
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
    spec,
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

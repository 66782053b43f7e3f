// What shell completion knows: the registered commands, their subcommands and their flags, taken
// from the same declarations that parse them (so a new option completes without more work).
import type { CommandSpec } from '../lib/config.js';
import { withSecretFileOptions } from '../lib/secret-file.js';
import type { CliCommand } from './command.js';

export interface FlagModel {
  /** `--name`. */
  flag: string;
  /** `-x`, when it has one. */
  short?: string;
  help: string;
  takesValue: boolean;
  /** Fixed values to offer. */
  choices?: readonly string[];
  /** The value is a path. */
  path?: boolean;
}

export interface CommandModel {
  name: string;
  summary: string;
  flags: FlagModel[];
  subcommands: CommandModel[];
}

const PATH_METAVARS = new Set(['FILE', 'DIR', 'PATH', 'REPO', 'ROOT']);

export function flagsOf(spec: CommandSpec | undefined): FlagModel[] {
  const flags: FlagModel[] = [];
  for (const o of spec ? withSecretFileOptions(spec).options : []) {
    flags.push({
      flag: `--${o.name}`,
      ...(o.short ? { short: `-${o.short}` } : {}),
      help: o.help.split('\n')[0]!,
      takesValue: o.type !== 'boolean',
      ...(o.choices ? { choices: o.choices } : {}),
      ...(o.type === 'boolean' ? {} : PATH_METAVARS.has(o.metavar ?? '') || o.name.endsWith('-file') ? { path: true } : {}),
    });
  }
  if (spec) flags.push({ flag: '--config', help: 'YAML file with options', takesValue: true, path: true });
  flags.push({ flag: '--help', short: '-h', help: 'show the help', takesValue: false });
  return flags;
}

export async function commandModel(name: string, command: CliCommand): Promise<CommandModel> {
  const subcommands: CommandModel[] = [];
  for (const [sub, load] of Object.entries(command.subcommands ?? {})) subcommands.push(await commandModel(sub, await load()));
  return { name, summary: command.summary.split('\n')[0]!, flags: flagsOf(command.spec), subcommands };
}

/** Every command word a shell function may meet: safe to print unquoted. */
export function assertWord(word: string): string {
  if (!/^-{0,2}[A-Za-z0-9][A-Za-z0-9._-]*$/.test(word)) throw new Error(`"${word}" cannot be completed safely`);
  return word;
}

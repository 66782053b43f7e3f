// How a command declares its options (flags, environment, file, defaults); lib/config.ts loads them.
export type OptionType = 'string' | 'boolean' | 'number' | 'duration' | 'list';

export interface OptionSpec {
  /** Flag name in kebab case, e.g. `agent-token`. */
  name: string;
  type: OptionType;
  help: string;
  /** Default value, already in its parsed form (durations in ms, lists as arrays). */
  default?: unknown;
  /** Environment variable; defaults to DROVER_<NAME_IN_UPPER_SNAKE>. Set to false for none. */
  env?: string | false;
  /** A secret is never echoed back in errors or help. */
  secret?: boolean;
  /** One-letter alias. */
  short?: string;
  /** Placeholder in help, e.g. HOST:PORT. */
  metavar?: string;
  /** Extra validation; return an error message or undefined. */
  check?: (value: unknown) => string | undefined;
}

export interface CommandSpec {
  command: string;
  summary: string;
  usage?: string;
  options: OptionSpec[];
  /** Extra help text shown after the options. */
  epilog?: string;
}

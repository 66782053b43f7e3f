// How a command declares its options (flags, environment, file, defaults); lib/config.ts loads them.
export type OptionType = 'string' | 'boolean' | 'number' | 'duration' | 'list';

export interface OptionSpec {
  /** Flag name in kebab case, e.g. `agent-token`. */
  name: string;
  type: OptionType;
  help: string;
  /** Default value, already in its parsed form (durations in ms, lists as arrays). */
  default?: unknown;
  /**
   * Environment variable; by default derived from the command's scope and the name
   * (`DROVER_META_LISTEN`, `DROVER_AGENT_IDLE_TIMEOUT`, `DROVER_CLI_META`: see envName in lib/config.ts).
   * A name given here is deliberately shared (DROVER_LOG_LEVEL). Set to false for none.
   */
  env?: string | false;
  /** A secret is never echoed back in errors or help. */
  secret?: boolean;
  /** One-letter alias. */
  short?: string;
  /** Placeholder in help, e.g. HOST:PORT. */
  metavar?: string;
  /** The values it takes, when they are a fixed few (shell completion offers them). */
  choices?: readonly string[];
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
  /**
   * Where `--config` comes from when neither the flag nor the environment names a file: the client
   * commands (status, devices, rollouts, wait, …) read ~/.config/drover/config.yaml when it exists.
   */
  defaultConfigFile?: (env: NodeJS.ProcessEnv) => string | undefined;
}

// Configuration for every `drover` command, from (highest precedence first)
// flags, environment (DROVER_<SCOPE>_<NAME>: see envName), a YAML file (--config PATH) and defaults.
// Each command declares its options once; this module parses, coerces, validates and
// renders `--help` from that declaration.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { formatDuration, parseDuration } from '../specs/schema/duration.js';
import type { CommandSpec, OptionSpec } from './config-spec.js';
import { DroverError } from './errors.js';
import { applySecretFiles, withSecretFileOptions } from './secret-file.js';

// The YAML parser is loaded only when a config file is given: the agent, which usually has none,
// keeps its memory for the work.
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export type { CommandSpec, OptionSpec, OptionType } from './config-spec.js';

export interface LoadedConfig {
  values: Record<string, unknown>;
  positionals: string[];
  /** Set when --help was asked for: the caller prints it and exits 0. */
  help?: string;
  /** Where each value came from, for debugging (`flag`, `env`, `file`, `default`). */
  sources: Record<string, 'flag' | 'env' | 'file' | 'default'>;
}

/** The daemons whose options have variables of their own; every other command is the client (`cli`). */
const DAEMON_SCOPES = ['meta', 'jump', 'agent'];
const upperSnake = (name: string): string => name.replace(/-/g, '_').toUpperCase();

/** `meta`, `jump`, `agent`, or `cli` for every other command: the middle of a derived variable name. */
export function envScope(spec: Pick<CommandSpec, 'command'>): string {
  return DAEMON_SCOPES.includes(spec.command) ? spec.command : 'cli';
}

/**
 * The one place variable names come from: DROVER_<SCOPE>_<NAME> (`--listen` of meta is
 * DROVER_META_LISTEN, `--idle-timeout` of the agent DROVER_AGENT_IDLE_TIMEOUT, `--meta` of the
 * client commands DROVER_CLI_META), unless the option names a deliberately shared one
 * (DROVER_LOG_LEVEL, DROVER_GIT_TOKEN) or none (`env: false`).
 */
export function envName(opt: OptionSpec, spec: Pick<CommandSpec, 'command'> = { command: 'cli' }): string | undefined {
  if (opt.env === false) return undefined;
  return opt.env ?? `DROVER_${upperSnake(envScope(spec))}_${upperSnake(opt.name)}`;
}

/** The shared name a derived variable had before names were per daemon: still read, with a warning. */
export function legacyEnvName(opt: OptionSpec): string | undefined {
  return opt.env === undefined ? `DROVER_${upperSnake(opt.name)}` : undefined;
}

/** The variable naming the config file: DROVER_CONFIG for the client, DROVER_META_CONFIG … for a daemon. */
export function configEnvName(spec: Pick<CommandSpec, 'command'>): string {
  const scope = envScope(spec);
  return scope === 'cli' ? 'DROVER_CONFIG' : `DROVER_${upperSnake(scope)}_CONFIG`;
}

const warned = new Set<string>();
/** Where deprecation warnings go (once per variable and process); tests replace it. */
export const deprecation = {
  warn: (message: string): void => void process.stderr.write(`drover: ${message}\n`),
};

/** Reads `name`, else the legacy name with a one-time warning. */
function readEnv(env: NodeJS.ProcessEnv, name: string, legacy: string | undefined): { value: string | undefined; from: string } {
  if (env[name] !== undefined) return { value: env[name], from: name };
  if (legacy && legacy !== name && env[legacy] !== undefined) {
    if (!warned.has(legacy)) {
      warned.add(legacy);
      deprecation.warn(`${legacy} is deprecated: use ${name}`);
    }
    return { value: env[legacy], from: legacy };
  }
  return { value: undefined, from: name };
}

function camel(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function coerce(opt: OptionSpec, raw: unknown, origin: string): unknown {
  const fail = (what: string): never => {
    const shown = opt.secret ? '' : ` (got ${JSON.stringify(raw)})`;
    throw new DroverError('CONFIG_INVALID', `${origin === 'flag' ? '' : `${origin}: `}--${opt.name} ${what}${shown}`);
  };
  switch (opt.type) {
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number') return String(raw);
      return fail('must be a string');
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no' || raw === '') return false;
      return fail('must be true or false');
    case 'number': {
      if (typeof raw !== 'number' && typeof raw !== 'string') return fail('must be a number');
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (typeof raw === 'string' && raw.trim() === '') return fail('must be a number');
      if (!Number.isFinite(n)) return fail('must be a number');
      return n;
    }
    case 'duration': {
      const ms = typeof raw === 'number' || typeof raw === 'string' ? parseDuration(raw) : undefined;
      if (ms === undefined) return fail('must be a duration such as 500ms, 30s, 5m or 1h');
      return ms;
    }
    case 'list':
      if (Array.isArray(raw)) return raw.map(String);
      if (typeof raw === 'string') return raw.split(',').map((s) => s.trim()).filter(Boolean);
      return fail('must be a comma-separated list');
  }
}

export function renderHelp(spec: CommandSpec): string {
  spec = withSecretFileOptions(spec);
  const lines = [`Usage: ${spec.usage ?? `drover ${spec.command} [options]`}`, '', spec.summary, '', 'Options:'];
  const rows = [...spec.options, { name: 'config', type: 'string', help: 'YAML file with any of these options (keys as the flag names)', metavar: 'FILE' } as OptionSpec, { name: 'help', type: 'boolean', help: 'show this help', env: false } as OptionSpec];
  for (const opt of rows) {
    const flag = `  ${opt.short ? `-${opt.short}, ` : ''}--${opt.name}${opt.type === 'boolean' ? '' : ` ${opt.metavar ?? opt.type.toUpperCase()}`}`;
    const extra: string[] = [];
    if (opt.default !== undefined && !opt.secret && opt.name !== 'help') {
      const d = opt.type === 'duration' ? formatDuration(Number(opt.default)) : Array.isArray(opt.default) ? opt.default.join(',') : String(opt.default);
      if (d !== '') extra.push(`default ${d}`);
    }
    const env = opt.name === 'help' ? undefined : opt.name === 'config' ? configEnvName(spec) : envName(opt, spec);
    if (env) extra.push(`env ${env}`);
    lines.push(flag.padEnd(34) + ' ' + opt.help + (extra.length ? ` (${extra.join('; ')})` : ''));
  }
  if (spec.epilog) lines.push('', spec.epilog.trimEnd());
  return lines.join('\n') + '\n';
}

/**
 * Loads a command's configuration. Throws DroverError('CONFIG_INVALID') with a message that
 * names the flag, variable or file at fault.
 */
export function loadConfig(spec: CommandSpec, argv: string[], env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  spec = withSecretFileOptions(spec);
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  for (const opt of spec.options) {
    // A list flag may be repeated (`--notify A --notify B`) as well as comma-separated.
    parseOptions[opt.name] = { type: opt.type === 'boolean' ? 'boolean' : 'string', ...(opt.short ? { short: opt.short } : {}), ...(opt.type === 'list' ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseOptions, allowPositionals: true, strict: true });
  } catch (err) {
    throw new DroverError('CONFIG_INVALID', `${(err as Error).message}\nRun 'drover ${spec.command} --help' for the options.`);
  }
  if (parsed.values.help) return { values: {}, positionals: parsed.positionals, help: renderHelp(spec), sources: {} };

  const configVar = configEnvName(spec);
  const configPath = (parsed.values.config as string | undefined) ?? readEnv(env, configVar, configVar === 'DROVER_CONFIG' ? undefined : 'DROVER_CONFIG').value ?? spec.defaultConfigFile?.(env);
  let fileValues: Record<string, unknown> = {};
  if (configPath) {
    let text: string;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch (err) {
      throw new DroverError('CONFIG_INVALID', `cannot read config file ${configPath}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text) ?? {};
    } catch (err) {
      throw new DroverError('CONFIG_INVALID', `${configPath}: ${(err as Error).message}`);
    }
    if (typeof doc !== 'object' || Array.isArray(doc) || doc === null) {
      throw new DroverError('CONFIG_INVALID', `${configPath}: expected a map of option names to values`);
    }
    const known = new Map(spec.options.flatMap((o) => [[o.name, o], [camel(o.name), o]] as const));
    for (const [key, value] of Object.entries(doc)) {
      const opt = known.get(key);
      if (!opt) throw new DroverError('CONFIG_INVALID', `${configPath}: unknown option "${key}"`);
      fileValues[opt.name] = value;
    }
  }

  const values: Record<string, unknown> = {};
  const sources: LoadedConfig['sources'] = {};
  for (const opt of spec.options) {
    const flag = parsed.values[opt.name];
    const name = envName(opt, spec);
    const { value: fromEnv, from: envVar } = name ? readEnv(env, name, legacyEnvName(opt)) : { value: undefined, from: undefined };
    let value: unknown;
    if (flag !== undefined) {
      value = coerce(opt, Array.isArray(flag) ? flag.join(',') : flag, 'flag');
      sources[opt.name] = 'flag';
    } else if (fromEnv !== undefined) {
      value = coerce(opt, fromEnv, `environment ${envVar}`);
      sources[opt.name] = 'env';
    } else if (fileValues[opt.name] !== undefined) {
      value = coerce(opt, fileValues[opt.name], `config file ${configPath}`);
      sources[opt.name] = 'file';
    } else {
      value = opt.default;
      sources[opt.name] = 'default';
    }
    if (value !== undefined && opt.check) {
      const problem = opt.check(value);
      if (problem) {
        const from = sources[opt.name] === 'env' ? ` (from environment ${envVar})` : sources[opt.name] === 'file' ? ` (from config file ${configPath})` : '';
        throw new DroverError('CONFIG_INVALID', `--${opt.name}: ${problem}${from}`);
      }
    }
    values[opt.name] = value;
  }
  applySecretFiles(spec, values, sources);
  return { values, positionals: parsed.positionals, sources };
}

/** Parses `HOST:PORT` (IPv6 as `[::1]:7070`). */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Parses `k=v,k=v` into a label map. */
export function parseLabels(items: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new DroverError('CONFIG_INVALID', `label "${item}" must be written key=value`);
    out[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return out;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `--log-level`, the same for every daemon (default: DROVER_LOG_LEVEL, else info; silent under NODE_ENV=test). */
export const LOG_LEVEL_OPTION: OptionSpec = {
  name: 'log-level',
  type: 'string',
  metavar: 'LEVEL',
  env: 'DROVER_LOG_LEVEL',
  choices: LOG_LEVELS,
  help: 'fatal, error, warn, info (default), debug, trace or silent; JSON lines on stderr, readable lines on a terminal',
  check: (v) => (LOG_LEVELS.includes(String(v)) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`),
};

/** Credentials for a fleet repository on a git server, the same options for meta and jump. */
export const GIT_AUTH_OPTIONS: OptionSpec[] = [
  { name: 'git-token', type: 'string', metavar: 'TOKEN', secret: true, env: 'DROVER_GIT_TOKEN', help: 'token for the git server (HTTP basic auth password; prefer the environment)' },
  { name: 'git-username', type: 'string', metavar: 'USER', env: 'DROVER_GIT_USERNAME', help: 'user name for the git server (with --git-password, or with --git-token)' },
  { name: 'git-password', type: 'string', metavar: 'PASSWORD', secret: true, env: 'DROVER_GIT_PASSWORD', help: 'password for the git server (prefer the environment)' },
];

export function gitAuthFrom(v: Record<string, unknown>): { token: string | null; username: string | null; password: string | null } {
  const s = (k: string): string | null => (typeof v[k] === 'string' && v[k] !== '' ? (v[k] as string) : null);
  return { token: s('git-token'), username: s('git-username'), password: s('git-password') };
}

// The client config: the settings every command that talks to meta needs (meta's URL, the admin
// token file, the CA file), kept in one YAML file so that `drover status`, `drover wait`, … need
// no flags. Looked up as --config FILE, then DROVER_CONFIG, then
// $XDG_CONFIG_HOME/drover/config.yaml (default ~/.config/drover/config.yaml) when it exists.
// Flags and DROVER_CLI_* variables override what it says.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { CommandSpec } from '../lib/config.js';

export function defaultClientConfigFile(env: NodeJS.ProcessEnv): string | undefined {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const file = join(base, 'drover', 'config.yaml');
  return existsSync(file) ? file : undefined;
}

/** A client command's spec: reads the client config by default. */
export function clientSpec(spec: CommandSpec): CommandSpec {
  return { ...spec, defaultConfigFile: defaultClientConfigFile };
}

export const CLIENT_CONFIG_HELP = `Client config (${'$'}XDG_CONFIG_HOME/drover/config.yaml, default ~/.config/drover/config.yaml;
or --config FILE, DROVER_CONFIG), keys as the flag names, absolute paths:
  meta: https://meta.example:7070
  admin-token-file: /home/me/.config/drover/admin-token
  ca: /home/me/.config/drover/meta-ca.pem`;

// Secrets from files: every option declared `secret: true` also takes `--NAME-file PATH` (and
// DROVER_<SCOPE>_NAME_FILE, or `NAME-file:` in the config file), the way systemd's LoadCredential= and
// Kubernetes secrets hand them over. The file holds the value alone (a trailing newline is
// dropped; a list option takes one value per line or comma-separated). Daemons read the files
// again on SIGHUP by loading their configuration again.
import { readFileSync } from 'node:fs';
import { DroverError } from './errors.js';
import type { CommandSpec, OptionSpec } from './config-spec.js';

export const fileOptionName = (opt: OptionSpec): string => `${opt.name}-file`;

/** The spec with a `…-file` option next to each secret option. */
export function withSecretFileOptions(spec: CommandSpec): CommandSpec {
  const options: OptionSpec[] = [];
  for (const opt of spec.options) {
    options.push(opt);
    if (!opt.secret || spec.options.some((o) => o.name === fileOptionName(opt))) continue;
    // A derived name stays derived (DROVER_META_ADMIN_TOKEN_FILE); a shared one gets _FILE.
    const env = opt.env === false ? false : opt.env === undefined ? undefined : `${opt.env}_FILE`;
    options.push({ name: fileOptionName(opt), type: 'string', metavar: 'FILE', ...(env === undefined ? {} : { env }), help: `read --${opt.name} from this file (read again on SIGHUP)` });
  }
  return { ...spec, options };
}

/** Reads a secret file: the value without its trailing newline. The error names the file, never its content. */
export function readSecretFile(flag: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DroverError('CONFIG_INVALID', `--${flag} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value.trim() === '') throw new DroverError('CONFIG_INVALID', `--${flag} ${path}: the file is empty`);
  return value;
}

/**
 * Fills each secret option from its `…-file` option when one is given, in place. A value given
 * directly and a file for the same option is a configuration error (which one would win?).
 */
export function applySecretFiles(spec: CommandSpec, values: Record<string, unknown>, sources: Record<string, string>): void {
  for (const opt of spec.options) {
    if (!opt.secret) continue;
    const fileOpt = fileOptionName(opt);
    const path = values[fileOpt] as string | undefined;
    if (!path) continue;
    if (sources[opt.name] !== 'default' && values[opt.name] !== undefined) {
      throw new DroverError('CONFIG_INVALID', `--${opt.name} and --${fileOpt} are both given: keep one`);
    }
    const text = readSecretFile(fileOpt, path);
    values[opt.name] = opt.type === 'list' ? text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean) : text.trim();
    sources[opt.name] = 'file';
    const problem = opt.check?.(values[opt.name]);
    if (problem) throw new DroverError('CONFIG_INVALID', `--${fileOpt} ${path}: ${problem}`);
  }
}

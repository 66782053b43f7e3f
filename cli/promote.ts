// drover promote NAME --from DEVICE: moves a trial command into control.yaml with a selector and a
// staged rollout, and commits it on a new branch for a pull request.
import { formatProblem } from '../specs/load/problem.js';
import { promote } from '../control/promote/promote.js';
import { parseRolloutFlags, parseSelectFlags } from '../control/promote/parse-promote-flags.js';
import { DroverError } from '../lib/errors.js';
import { defineCommand } from './command.js';

const REPEATABLE = new Set(['--from', '--select']);

/** `--from a --from b` → `--from a,b`: node's parseArgs keeps only the last of a repeated flag. */
export function mergeRepeated(argv: readonly string[]): string[] {
  const merged = new Map<string, string[]>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    if (!REPEATABLE.has(flag)) {
      rest.push(arg);
      continue;
    }
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new DroverError('CONFIG_INVALID', `${flag} needs a value`);
    merged.set(flag, [...(merged.get(flag) ?? []), value]);
  }
  for (const [flag, values] of merged) rest.push(flag, values.join(','));
  return rest;
}

const spec = {
  command: 'promote',
  summary:
    'Promotes a bash command from trial overrides (devices/<id>.yaml) into control.yaml with a selector and a staged rollout.\n' +
    'Edits the fleet repository in place (comments and formatting are kept), validates the result, and commits it on a new branch.\n' +
    'With --meta, the trial results are fetched and the promotion is refused when the command did not succeed on every trial device.',
  usage: 'drover promote NAME --from DEVICE [--from DEVICE] [--select key=value] [--rollout 1,10%,100%] [options]',
  options: [
    { name: 'from', type: 'list' as const, help: 'trial device(s) holding the command (repeat or comma-separate)', metavar: 'DEVICE', env: false as const },
    { name: 'select', type: 'list' as const, help: 'which devices get it: label key=value or id=GLOB (repeatable; default every device)', metavar: 'K=V', env: false as const },
    { name: 'rollout', type: 'list' as const, help: 'rollout steps: device counts or percentages', default: ['1', '10%', '100%'], metavar: 'STEPS', env: false as const },
    { name: 'max-failures', type: 'number' as const, help: 'failed devices tolerated before the rollout pauses', default: 0, env: false as const },
    { name: 'meta', type: 'string' as const, help: "meta's URL, to fetch the trial results", metavar: 'URL' },
    { name: 'admin-token', type: 'string' as const, help: "meta's admin token", secret: true, metavar: 'TOKEN' },
    { name: 'force', type: 'boolean' as const, help: 'promote even when a trial failed or has no result', default: false, env: false as const },
    { name: 'repo', type: 'string' as const, help: "the fleet repository's working tree", default: '.', metavar: 'DIR', env: false as const },
    { name: 'branch', type: 'string' as const, help: 'branch to create (default promote/NAME)', metavar: 'NAME', env: false as const },
    { name: 'author-name', type: 'string' as const, help: 'commit author name (default: git config user.name)', metavar: 'NAME', env: false as const },
    { name: 'author-email', type: 'string' as const, help: 'commit author email (default: git config user.email)', metavar: 'EMAIL', env: false as const },
  ],
};

export const command = defineCommand(spec, async (cfg) => {
  const v = cfg.values;
  const name = cfg.positionals[0];
  if (!name || cfg.positionals.length > 1) throw new DroverError('CONFIG_INVALID', `name exactly one command to promote\nRun 'drover promote --help' for the options.`);
  const from = (v.from as string[] | undefined) ?? [];
  if (from.length === 0) throw new DroverError('CONFIG_INVALID', '--from DEVICE is required: the trial device(s) the command comes from');
  const result = await promote({
    name,
    from,
    select: parseSelectFlags((v.select as string[] | undefined) ?? []),
    rollout: parseRolloutFlags(v.rollout as string[], v['max-failures'] as number),
    repo: v.repo as string,
    branch: v.branch as string | undefined,
    meta: v.meta as string | undefined,
    adminToken: v['admin-token'] as string | undefined,
    force: v.force === true,
    author: { name: v['author-name'] as string | undefined, email: v['author-email'] as string | undefined },
  });
  for (const w of result.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  for (const o of result.objections) process.stderr.write(`warning: promoted with --force despite: ${o}\n`);
  process.stdout.write(`${result.message}\n`);
  process.stdout.write(`Committed ${result.commit.slice(0, 12)} on branch ${result.branch} (${result.files.join(', ')}).\n`);
  process.stdout.write(`Push it and open a pull request:\n  ${result.push}\n`);
  return 0;
}, { prepareArgv: mergeRepeated });

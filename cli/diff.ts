// drover diff OLD NEW: what a change does, per device. OLD and NEW are directories, or
// revisions of one git repository (--git, default the current directory).
import { diffFleets } from '../specs/diff/diff-fleets.js';
import { formatFleetDiff } from '../specs/diff/format-diff.js';
import { formatProblem } from '../specs/load/problem.js';
import { defineCommand } from './command.js';
import { fleetLocationOptions, loadFleetAt } from './load-fleet-at.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

const spec = {
  command: 'diff',
  summary: 'Shows, per device, what would change between two revisions of the fleet repository:\npackages installed, removed, upgraded, started or stopped, and commands that would run.',
  usage: 'drover diff OLD NEW [--git REPO] [options]    (OLD/NEW: directories or git revisions, e.g. origin/main HEAD)',
  options: [
    ...fleetLocationOptions('read revisions from this git repository (default: the current directory when OLD/NEW are not directories)'),
    { name: 'all', type: 'boolean' as const, help: 'list unchanged devices too', default: false, env: false as const },
    ...OUTPUT_OPTIONS,
    { name: 'exit-code', type: 'boolean' as const, help: 'exit 1 when some device changes, 0 when none does (like git diff --exit-code)', default: false, env: false as const },
  ],
};

export const command = defineCommand(spec, async (cfg) => {
  if (cfg.positionals.length !== 2) {
    process.stderr.write(`drover diff: expected OLD and NEW\nUsage: ${spec.usage}\n`);
    return 2;
  }
  const gitDir = cfg.values.git as string | undefined;
  const [before, after] = await Promise.all(cfg.positionals.map((where) => loadFleetAt({ where, gitDir, path: cfg.values.path as string | undefined })));
  for (const side of [before!, after!]) {
    if (!side.ok) {
      process.stderr.write(`${side.label} is invalid:\n${side.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n')}\n`);
      return 1;
    }
  }
  if (!before!.ok || !after!.ok) return 1;
  const diff = diffFleets(before!.spec, after!.spec);
  const format = outputFormat(cfg.values, cfg.sources);
  printOutput(format, diff, () => formatFleetDiff(diff, { all: cfg.values.all === true }));
  if (diff.total === 0 && format === 'table') {
    process.stderr.write('note: no device is declared in devices/ on either side, so no per-device change can be shown\n');
  }
  return cfg.values['exit-code'] === true && diff.devices.some((d) => d.changes.length > 0 || d.presence) ? 1 : 0;
});

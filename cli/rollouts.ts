// drover rollouts [list] | pause KEY | resume KEY: the staged rollouts of the revision meta serves.
import type { RolloutListResponse, RolloutProgress } from '../control/commands-api.js';
import { DroverError } from '../lib/errors.js';
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand, defineGroup } from './command.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { formatColumns, OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

function stateCell(r: RolloutProgress): string {
  return r.state === 'paused' ? `paused (${r.pauseReason === 'spec' ? 'paused: true in git' : r.pauseReason ?? '?'})` : r.state;
}

export function formatRolloutsTable(list: RolloutListResponse): string {
  const head = `revision ${list.revision ? list.revision.slice(0, 12) : '(none)'}: ${list.rollouts.length} rollout${list.rollouts.length === 1 ? '' : 's'}\n`;
  return head + formatColumns(
    ['KEY', 'STATE', 'STEP', 'RELEASED', 'SUCCEEDED', 'FAILING', 'WAITING'],
    list.rollouts.map((r) => [r.key, stateCell(r), `${Math.min(r.step + 1, r.steps.length)}/${r.steps.length}`, `${r.released}/${r.selected}`, String(r.succeeded), `${r.failing.length} (max ${r.maxFailures})`, String(r.waiting)]),
  );
}

const listSpec = clientSpec({
  command: 'rollouts list',
  summary: 'Lists the staged rollouts of the revision meta serves: state, step, devices released, failing.',
  usage: 'drover rollouts [list] [-o table|json|yaml]',
  options: [...CLIENT_OPTIONS, ...OUTPUT_OPTIONS],
  epilog: CLIENT_CONFIG_HELP,
});

const list = defineCommand(listSpec, async (cfg) => {
  const body = await metaClient(cfg.values).get<RolloutListResponse>('v1/rollouts');
  printOutput(outputFormat(cfg.values, cfg.sources), body, () => formatRolloutsTable(body));
  return 0;
});

function action(verb: 'pause' | 'resume', summary: string) {
  const spec = clientSpec({
    command: `rollouts ${verb}`,
    summary,
    usage: `drover rollouts ${verb} KEY [-o table|json|yaml]    (KEY as drover rollouts lists it)`,
    options: [...CLIENT_OPTIONS, ...OUTPUT_OPTIONS],
    epilog: CLIENT_CONFIG_HELP,
  });
  return defineCommand(spec, async (cfg) => {
    const [key, ...extra] = cfg.positionals;
    if (!key || extra.length) throw new DroverError('CONFIG_INVALID', `name one rollout\nUsage: ${spec.usage}`);
    const body = await metaClient(cfg.values).post<{ key: string; message: string; rollout: RolloutProgress }>(`v1/rollouts/${encodeURIComponent(key)}/${verb}`);
    printOutput(outputFormat(cfg.values, cfg.sources), body, () => `${body.key}: ${body.message} (now ${stateCell(body.rollout)}, ${body.rollout.released}/${body.rollout.selected} released)`);
    return 0;
  });
}

export const command = defineGroup('rollouts', 'The staged rollouts of the revision meta serves (list, pause, resume).', {
  list: async () => list,
  pause: async () => action('pause', 'Pauses a rollout: nobody new is released until it is resumed (released devices keep what they have).'),
  resume: async () => action('resume', 'Resumes a rollout paused by an admin or by failures (the failures so far no longer count).'),
}, 'list');

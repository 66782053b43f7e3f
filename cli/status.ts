// drover status: the fleet as a table (device, condition, revision, last seen, drift), JSON or YAML.
// --exit-code: 1 when a selected device is Failed (for scripts).
import { type OptionSpec } from '../lib/config.js';
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { listDevices, SELECT_OPTIONS } from './list-devices.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';
import { formatStatusTable, formatSummary } from './status-table.js';

export const STATUS_OPTIONS: OptionSpec[] = [
  ...CLIENT_OPTIONS,
  ...SELECT_OPTIONS,
  ...OUTPUT_OPTIONS,
  { name: 'exit-code', type: 'boolean', help: 'exit 1 when a selected device is Failed', default: false, env: false },
  { name: 'commands', type: 'boolean', help: 'show commands instead: identity, origin, rollout step/state, results per status', default: false, env: false },
];

const spec = clientSpec({
  command: 'status',
  summary: 'Shows the fleet as meta sees it: the revision served, devices per condition, and a table of devices\n(condition, the revision each converged to, last seen, packages that drift from the desired state).',
  options: STATUS_OPTIONS,
  epilog: CLIENT_CONFIG_HELP,
});

export const command = defineCommand(spec, async (cfg) => {
  const client = metaClient(cfg.values);
  const format = outputFormat(cfg.values, cfg.sources);
  if (cfg.values.commands) return (await import('./status-commands.js')).showCommands(client, format);
  const status = await client.get<Parameters<typeof formatSummary>[0]>('v1/status');
  const { devices, more, total, limit } = await listDevices(client, cfg.values);
  printOutput(format, { status, devices }, () => {
    const note = more ? `… more devices than --limit ${limit} (of ${total} known); narrow with --label or --condition\n` : '';
    return formatSummary(status) + formatStatusTable(devices, Date.now()) + note;
  });
  return cfg.values['exit-code'] === true && devices.some((d) => d.condition === 'Failed') ? 1 : 0;
});

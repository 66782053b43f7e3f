// drover devices [list]: the devices meta knows: id, condition, revision, last seen, labels.
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { listDevices, SELECT_OPTIONS, type DeviceRow } from './list-devices.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { formatColumns, OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';
import { ago } from './status-table.js';

const spec = clientSpec({
  command: 'devices list',
  summary: 'Lists the devices meta knows: id, condition (and its reason), the revision each converged to, last seen, labels.',
  usage: 'drover devices [list] [-l K=V,…] [--condition NAME] [-o table|json|yaml]',
  options: [...CLIENT_OPTIONS, ...SELECT_OPTIONS, ...OUTPUT_OPTIONS],
  epilog: CLIENT_CONFIG_HELP,
});

export function formatDevicesTable(rows: readonly DeviceRow[], now: number): string {
  const labels = (l: Record<string, string>): string => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(',') || '-';
  return formatColumns(
    ['DEVICE', 'CONDITION', 'REASON', 'REVISION', 'LAST SEEN', 'LABELS'],
    rows.map((r) => [r.id, r.condition, r.reason, r.revision ? r.revision.slice(0, 12) : '-', ago(r.lastSeen, now), labels(r.labels ?? {})]),
  );
}

export const command = defineCommand(spec, async (cfg) => {
  if (cfg.positionals.length) {
    process.stderr.write(`drover devices list: unexpected ${cfg.positionals.join(' ')}\nUsage: ${spec.usage}\n`);
    return 2;
  }
  const list = await listDevices(metaClient(cfg.values), cfg.values);
  const items = list.devices.map((d) => ({ id: d.id, condition: d.condition, reason: d.reason, revision: d.revision, lastSeen: d.lastSeen, labels: d.labels ?? {} }));
  printOutput(outputFormat(cfg.values, cfg.sources), { revision: list.revision, devices: items }, () => formatDevicesTable(list.devices, Date.now()));
  return 0;
});

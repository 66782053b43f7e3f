// drover retry DEVICE [PACKAGE]: asks meta to have the device try its failed versions again now
// (a failed version otherwise waits for a new desired form or fleet.yaml retryFailedAfter).
import { DroverError } from '../lib/errors.js';
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

const spec = clientSpec({
  command: 'retry',
  summary: 'Asks a device to try its failed versions again now (all its packages, or one), through meta.',
  usage: 'drover retry DEVICE [PACKAGE] [--meta URL] [--admin-token-file FILE]',
  options: [...CLIENT_OPTIONS, ...OUTPUT_OPTIONS],
  epilog: CLIENT_CONFIG_HELP,
});

export const command = defineCommand(spec, async (cfg) => {
  const [device, pkg, ...extra] = cfg.positionals;
  if (!device || extra.length) throw new DroverError('CONFIG_INVALID', `name a device, and optionally one package\nRun 'drover retry --help' for the options.`);
  const client = metaClient(cfg.values);
  const body = await client.post<{ deviceId?: string; packages?: string[] }>(`v1/devices/${encodeURIComponent(device)}/retry`, pkg ? { package: pkg } : {});
  const names = body.packages ?? [];
  printOutput(outputFormat(cfg.values, cfg.sources), body, () => (names.length ? `${device}: retry requested for ${names.join(', ')}` : `${device}: no package to retry`));
  return 0;
});

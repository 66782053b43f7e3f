// drover jump kick USER: closes every connection of USER on the jump servers reporting to meta
// (or the one given by --name) and locks the user out there for --lock (default: the jump's
// --lock-time). Delivered in the answer to each jump's next status report.
import { DroverError } from '../lib/errors.js';
import { clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

const spec = clientSpec({
  command: 'jump kick',
  summary: "Closes a user's jump connections at once (within one report interval) and locks the user out for a while.\nUsage: drover jump kick USER [--name JUMP] [--lock DURATION]",
  options: [
    ...CLIENT_OPTIONS,
    ...OUTPUT_OPTIONS,
    { name: 'name', type: 'string', help: 'only this jump server (default: all)', metavar: 'JUMP', env: false },
    { name: 'lock', type: 'duration', help: "how long the user stays locked out (default: the jump's --lock-time)", env: false },
  ],
});

export const command = defineCommand(spec, async (cfg) => {
  const user = cfg.positionals[0];
  if (!user || cfg.positionals.length > 1) throw new DroverError('CONFIG_INVALID', 'usage: drover jump kick USER [--name JUMP] [--lock DURATION]');
  const client = metaClient(cfg.values);
  const body = { user, ...(cfg.values.name ? { name: cfg.values.name } : {}), ...(typeof cfg.values.lock === 'number' ? { lockMs: cfg.values.lock } : {}) };
  const answer = await client.post<{ requested?: string[]; sessions?: string[] }>('v1/jump/kick', body);
  printOutput(outputFormat(cfg.values, cfg.sources), answer, () => `kicked ${user} on ${answer.requested?.join(', ')}: ${answer.sessions?.length ?? 0} connection(s) close at the next report`);
  return 0;
});

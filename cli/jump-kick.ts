// drover jump kick USER: closes every connection of USER on the jump servers reporting to meta
// (or the one given by --name) and locks the user out there for --lock (default: the jump's
// --lock-time). Delivered in the answer to each jump's next status report.
import type { CommandSpec } from '../lib/config.js';
import { DroverError } from '../lib/errors.js';
import { defineCommand } from './command.js';

const spec: CommandSpec = {
  command: 'jump kick',
  summary: "Closes a user's jump connections at once (within one report interval) and locks the user out for a while.\nUsage: drover jump kick USER [--name JUMP] [--lock DURATION]",
  options: [
    { name: 'meta', type: 'string', help: "meta's URL", default: 'http://127.0.0.1:7070', metavar: 'URL' },
    { name: 'admin-token', type: 'string', help: "meta's admin token (prefer the environment)", secret: true, metavar: 'TOKEN' },
    { name: 'name', type: 'string', help: 'only this jump server (default: all)', metavar: 'JUMP', env: false },
    { name: 'lock', type: 'duration', help: "how long the user stays locked out (default: the jump's --lock-time)", env: false },
  ],
};

export const command = defineCommand(spec, async (cfg) => {
  const user = cfg.positionals[0];
  if (!user || cfg.positionals.length > 1) throw new DroverError('CONFIG_INVALID', 'usage: drover jump kick USER [--name JUMP] [--lock DURATION]');
  const token = cfg.values['admin-token'] as string | undefined;
  if (!token) throw new DroverError('CONFIG_INVALID', '--admin-token (or DROVER_ADMIN_TOKEN) is required');
  const base = String(cfg.values.meta).replace(/\/$/, '');
  const body = { user, ...(cfg.values.name ? { name: cfg.values.name } : {}), ...(typeof cfg.values.lock === 'number' ? { lockMs: cfg.values.lock } : {}) };
  const res = await fetch(`${base}/v1/jump/kick`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(30_000) });
  const answer = (await res.json().catch(() => ({}))) as { requested?: string[]; sessions?: string[]; message?: string; error?: string };
  if (res.status !== 202) throw new DroverError(res.status === 401 ? 'META_UNAUTHORIZED' : 'META_ERROR', `meta answered ${res.status}: ${answer.message ?? answer.error ?? ''}`);
  process.stdout.write(`kicked ${user} on ${answer.requested?.join(', ')}: ${answer.sessions?.length ?? 0} connection(s) close at the next report\n`);
  return 0;
});

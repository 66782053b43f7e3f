// drover status: the fleet as a table (device, condition, revision, last seen, drift), or JSON.
import { type OptionSpec } from '../lib/config.js';
import { DroverError, errorMessage } from '../lib/errors.js';
import { defineCommand } from './command.js';
import { formatStatusTable, formatSummary, type StatusRow } from './status-table.js';

export const STATUS_OPTIONS: OptionSpec[] = [
  { name: 'meta', type: 'string', help: "meta's URL", default: 'http://127.0.0.1:7070', metavar: 'URL' },
  { name: 'admin-token', type: 'string', help: "meta's admin token (prefer the environment)", secret: true, metavar: 'TOKEN' },
  { name: 'label', type: 'list', help: 'only devices with these labels (key=value, repeatable)', metavar: 'K=V', env: false },
  { name: 'condition', type: 'string', help: 'only devices in this condition (InSync, Progressing, Failed, Offline; comma-separated)', metavar: 'NAME', env: false },
  { name: 'limit', type: 'number', help: 'at most this many devices', default: 1000, env: false },
  { name: 'json', type: 'boolean', help: 'print JSON: { status, devices }', default: false, env: false },
  { name: 'commands', type: 'boolean', help: 'show commands instead: identity, origin, rollout step/state, results per status', default: false, env: false },
];

const spec = {
  command: 'status',
  summary: 'Shows the fleet as meta sees it: the revision served, devices per condition, and a table of devices\n(condition, the revision each converged to, last seen, packages that drift from the desired state).',
  options: STATUS_OPTIONS,
};

export async function metaGet<T>(base: string, path: string, token: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base.endsWith('/') ? base : base + '/'), { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new DroverError('META_UNREACHABLE', `cannot reach meta at ${base}: ${errorMessage(err)}`);
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      /* plain text */
    }
    throw new DroverError(res.status === 401 ? 'META_UNAUTHORIZED' : 'META_ERROR', `meta answered ${res.status} for ${path}: ${message}`);
  }
  return JSON.parse(text) as T;
}

export const command = defineCommand(spec, async (cfg) => {
  const base = cfg.values.meta as string;
  const token = cfg.values['admin-token'] as string | undefined;
  if (!token) throw new DroverError('CONFIG_INVALID', '--admin-token (or DROVER_ADMIN_TOKEN) is required');
  if (cfg.values.commands) return (await import('./status-commands.js')).showCommands(cfg.values.meta as string, token, cfg.values.json === true);
  const limit = Math.max(1, Math.floor(cfg.values.limit as number));
  const status = await metaGet<Parameters<typeof formatSummary>[0]>(base, 'v1/status', token);
  const devices: StatusRow[] = [];
  let cursor: string | null = null;
  let total = 0;
  for (let page = 0; page < 10_000 && devices.length < limit; page++) {
    const q = new URLSearchParams({ limit: String(Math.min(1000, limit - devices.length)) });
    for (const l of (cfg.values.label as string[] | undefined) ?? []) q.append('label', l);
    if (cfg.values.condition) q.set('condition', cfg.values.condition as string);
    if (cursor) q.set('cursor', cursor);
    const body: { items: StatusRow[]; nextCursor: string | null; total: number } = await metaGet(base, `v1/devices?${q}`, token);
    devices.push(...body.items);
    total = body.total;
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  if (cfg.values.json) {
    process.stdout.write(JSON.stringify({ status, devices }, null, 2) + '\n');
    return 0;
  }
  process.stdout.write(formatSummary(status));
  process.stdout.write(formatStatusTable(devices, Date.now()));
  if (cursor) process.stdout.write(`… more devices than --limit ${limit} (of ${total} known); narrow with --label or --condition\n`);
  return 0;
});

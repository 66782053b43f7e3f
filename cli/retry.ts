// drover retry DEVICE [PACKAGE]: asks meta to have the device try its failed versions again now
// (a failed version otherwise waits for a new desired form or fleet.yaml retryFailedAfter).
import { DroverError, errorMessage } from '../lib/errors.js';
import { defineCommand } from './command.js';
import { STATUS_OPTIONS } from './status.js';

const spec = {
  command: 'retry',
  summary: 'Asks a device to try its failed versions again now (all its packages, or one), through meta.',
  usage: 'drover retry DEVICE [PACKAGE] [--meta URL] [--admin-token TOKEN]',
  options: STATUS_OPTIONS.filter((o) => o.name === 'meta' || o.name === 'admin-token'),
};

export const command = defineCommand(spec, async (cfg) => {
  const [device, pkg, ...extra] = cfg.positionals;
  if (!device || extra.length) throw new DroverError('CONFIG_INVALID', `name a device, and optionally one package\nRun 'drover retry --help' for the options.`);
  const base = cfg.values.meta as string;
  const token = cfg.values['admin-token'] as string | undefined;
  if (!token) throw new DroverError('CONFIG_INVALID', '--admin-token (or DROVER_ADMIN_TOKEN) is required');
  const path = `v1/devices/${encodeURIComponent(device)}/retry`;
  let res: Response;
  try {
    res = await fetch(new URL(path, base.endsWith('/') ? base : base + '/'), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(pkg ? { package: pkg } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new DroverError('META_UNREACHABLE', `cannot reach meta at ${base}: ${errorMessage(err)}`);
  }
  const text = await res.text();
  let body: { message?: string; packages?: string[] } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    /* plain text */
  }
  if (!res.ok) {
    throw new DroverError(res.status === 401 ? 'META_UNAUTHORIZED' : res.status === 404 ? 'NOT_FOUND' : 'META_ERROR', `meta answered ${res.status}: ${body.message ?? text}`);
  }
  const names = body.packages ?? [];
  process.stdout.write(names.length ? `${device}: retry requested for ${names.join(', ')}\n` : `${device}: no package to retry\n`);
  return 0;
});

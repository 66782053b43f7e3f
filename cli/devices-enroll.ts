// drover devices enrollments | accept ID | reject ID | revoke ID: device enrollments through
// meta's API (GET /v1/enrollments, POST /v1/enrollments/:id/accept|reject|revoke; admin token).
import { userInfo } from 'node:os';
import { DroverError } from '../lib/errors.js';
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { formatDecision, formatEnrollments, type EnrollmentItem } from './enrollments-table.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

const listSpec = clientSpec({
  command: 'devices enrollments',
  summary: 'Lists device enrollments: pending, accepted, rejected and revoked, with each key\'s fingerprint and who decided.',
  usage: 'drover devices enrollments [--status pending,…] [-o table|json|yaml]',
  options: [
    ...CLIENT_OPTIONS,
    { name: 'status', type: 'string', help: 'only these (pending, accepted, rejected, revoked; comma-separated)', metavar: 'STATUS', env: false },
    ...OUTPUT_OPTIONS,
  ],
  epilog: CLIENT_CONFIG_HELP,
});

export const enrollments = defineCommand(listSpec, async (cfg) => {
  const q = cfg.values.status ? `?status=${encodeURIComponent(cfg.values.status as string)}` : '';
  const body = await metaClient(cfg.values).get<{ items: EnrollmentItem[] }>(`v1/enrollments${q}`);
  printOutput(outputFormat(cfg.values, cfg.sources), body, () => formatEnrollments(body.items, Date.now()));
  return 0;
});

const SUMMARIES = {
  accept: 'Accepts a device\'s enrollment (pending, rejected or revoked): at its next request it gets its own credential.',
  reject: 'Rejects a pending enrollment request: the device stays rejected (it asks again rarely) until accepted.',
  revoke: 'Revokes an enrolled device: its credential is refused (401) at its next heartbeat and it shows Revoked.',
} as const;

function actor(): string {
  try {
    return userInfo().username;
  } catch {
    return 'cli';
  }
}

export function decision(verb: keyof typeof SUMMARIES) {
  const spec = clientSpec({
    command: `devices ${verb}`,
    summary: SUMMARIES[verb],
    usage: `drover devices ${verb} ID [--reason TEXT] [--fingerprint SHA256:…] [-o table|json|yaml]`,
    options: [
      ...CLIENT_OPTIONS,
      { name: 'reason', type: 'string', help: 'why (kept with the decision; a revoked device\'s condition shows it)', metavar: 'TEXT', env: false },
      { name: 'fingerprint', type: 'string', help: 'decide only if the device still asks with this key (SHA256:… as listed)', metavar: 'SHA256:…', env: false },
      ...OUTPUT_OPTIONS,
    ],
    epilog: CLIENT_CONFIG_HELP,
  });
  return defineCommand(spec, async (cfg) => {
    const [id, ...extra] = cfg.positionals;
    if (!id || extra.length) throw new DroverError('CONFIG_INVALID', `name one device\nUsage: ${spec.usage}`);
    const view = await metaClient(cfg.values).post<EnrollmentItem>(`v1/enrollments/${encodeURIComponent(id)}/${verb}`, {
      by: actor(),
      ...(cfg.values.reason ? { reason: cfg.values.reason } : {}),
      ...(cfg.values.fingerprint ? { fingerprint: cfg.values.fingerprint } : {}),
    });
    printOutput(outputFormat(cfg.values, cfg.sources), view, () => formatDecision(view));
    return 0;
  });
}

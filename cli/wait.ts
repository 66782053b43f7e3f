// drover wait [--revision SHA] [--selector k=v,…] [--timeout 10m]: waits until every selected
// device is InSync at that revision (default: the one meta serves now), polling meta's device
// list with a backed-off interval. Exits 0 when they are; 1 at the timeout, naming each device
// not there with its condition and reason. What a CD pipeline runs after a merge (after
// `drover reconcile`, or once meta's webhook fetched the commit).
import { backoffMs } from '../lib/backoff.js';
import { DroverError, errorMessage } from '../lib/errors.js';
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { listDevices } from './list-devices.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';
import { waitVerdict, type WaitVerdict } from './wait-verdict.js';

const spec = clientSpec({
  command: 'wait',
  summary: 'Waits until every selected device is InSync at a revision (default: the one meta serves now).\nExits 0 when they are, 1 at the timeout (printing the devices not there, with condition and reason).',
  usage: 'drover wait [--revision SHA] [--selector K=V,…] [--timeout 10m]',
  options: [
    ...CLIENT_OPTIONS,
    { name: 'revision', type: 'string', help: 'the commit to wait for (full, or a prefix of 7+ characters); meta must serve it', metavar: 'SHA', env: false },
    { name: 'selector', short: 'l', type: 'list', help: 'only devices with these labels (key=value, comma-separated)', metavar: 'K=V', env: false },
    { name: 'timeout', type: 'duration', help: 'give up after this long', default: 600_000, env: false },
    { name: 'interval', type: 'duration', help: 'longest pause between two looks at meta', default: 5000, env: false },
    ...OUTPUT_OPTIONS,
  ],
  epilog: CLIENT_CONFIG_HELP,
});

const short = (r: string | null | undefined): string => (r ? r.slice(0, 12) : '(none)');

export function describeVerdict(v: WaitVerdict, timedOut: boolean): string {
  if (v.done) return `${v.ready} device${v.ready === 1 ? '' : 's'} InSync at ${short(v.target)}\n`;
  const lines: string[] = [];
  if (timedOut) lines.push(`timed out: ${v.notReady.length} of ${v.notReady.length + v.ready} device${v.notReady.length + v.ready === 1 ? '' : 's'} not InSync at ${short(v.target)}`);
  if (v.metaServes !== undefined) lines.push(`meta serves ${short(v.metaServes)}, not ${short(v.target)} (has it fetched the commit? drover reconcile)`);
  if (v.notReady.length === 0 && v.ready === 0) lines.push('no device is selected');
  for (const d of v.notReady) lines.push(`  ${d.id}  ${d.condition}  ${d.reason}${d.message ? `: ${d.message}` : ''}${d.revision && d.revision !== v.target ? ` (at ${short(d.revision)})` : ''}`);
  return lines.join('\n') + '\n';
}

export const command = defineCommand(spec, async (cfg) => {
  if (cfg.positionals.length) throw new DroverError('CONFIG_INVALID', `unexpected ${cfg.positionals.join(' ')}\nUsage: ${spec.usage}`);
  const client = metaClient(cfg.values);
  const wanted = cfg.values.revision as string | undefined;
  const deadline = Date.now() + (cfg.values.timeout as number);
  const maxMs = Math.max(200, cfg.values.interval as number);
  const values = { label: cfg.values.selector, limit: 100_000 };
  let verdict: WaitVerdict | undefined;
  let lastError: unknown;
  let quiet = 0;
  let lastReady = -1;
  for (let round = 0; round < 1_000_000; round++) {
    try {
      const list = await listDevices(client, values);
      verdict = waitVerdict({ wanted, served: list.revision, devices: list.devices });
      lastError = undefined;
      if (verdict.done) break;
      if (verdict.ready !== lastReady) quiet = 0; // progress: look again soon
      lastReady = verdict.ready;
    } catch (err) {
      // Unreachable or overloaded meta: keep trying until the deadline; a wrong token is final.
      if (err instanceof DroverError && err.kind === 'stalled') throw err;
      lastError = err;
    }
    const left = deadline - Date.now();
    if (left <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(left, backoffMs(++quiet, { baseMs: 250, maxMs }))));
  }
  if (!verdict) throw new DroverError('META_UNREACHABLE', `gave up waiting: ${errorMessage(lastError)}`);
  const format = outputFormat(cfg.values, cfg.sources);
  printOutput(format, { ...verdict, timedOut: !verdict.done }, () => describeVerdict(verdict!, !verdict!.done));
  if (lastError && !verdict.done) process.stderr.write(`drover wait: the last look at meta failed: ${errorMessage(lastError)}\n`);
  return verdict.done ? 0 : 1;
});

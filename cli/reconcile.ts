// drover reconcile: meta fetches the fleet repository now (instead of at its next poll) and says
// which revision it serves after the fetch.
import { CLIENT_CONFIG_HELP, clientSpec } from './client-config.js';
import { defineCommand } from './command.js';
import { CLIENT_OPTIONS, metaClient } from './meta-client.js';
import { OUTPUT_OPTIONS, outputFormat, printOutput } from './output.js';

interface ReconcileAnswer {
  done: boolean;
  previousRevision: string | null;
  revision: string | null;
  lastFetchOk: boolean | null;
  lastError: { message: string } | null;
  rejected: { revision: string; problems: string[] } | null;
}

const spec = clientSpec({
  command: 'reconcile',
  summary: 'Asks meta to fetch the fleet repository now; prints the revision it serves afterwards.\nExits 1 when the fetch failed or the newest commit was rejected.',
  options: [...CLIENT_OPTIONS, ...OUTPUT_OPTIONS],
  epilog: CLIENT_CONFIG_HELP,
});

const short = (r: string | null): string => (r ? r.slice(0, 12) : '(none)');

export function describeReconcile(a: ReconcileAnswer): string {
  const lines = [
    !a.done ? `fetch still running; serving ${short(a.revision)}` :
    a.revision !== a.previousRevision ? `now serving ${short(a.revision)} (was ${short(a.previousRevision)})` : `serving ${short(a.revision)} (unchanged)`,
  ];
  if (a.lastFetchOk === false && a.lastError) lines.push(`fetch failed: ${a.lastError.message}`);
  if (a.rejected && a.rejected.revision !== a.revision) {
    lines.push(`rejected ${short(a.rejected.revision)}:`, ...a.rejected.problems.slice(0, 20).map((p) => `  ${p}`));
  }
  return lines.join('\n') + '\n';
}

export const command = defineCommand(spec, async (cfg) => {
  const answer = await metaClient(cfg.values).post<ReconcileAnswer>('v1/reconcile');
  printOutput(outputFormat(cfg.values, cfg.sources), answer, () => describeReconcile(answer));
  const failed = answer.lastFetchOk === false || (answer.rejected !== null && answer.rejected.revision !== answer.revision && answer.done);
  return failed ? 1 : 0;
});

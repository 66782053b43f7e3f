// drover status --commands: every command identity with its origin, rollout and results, as a
// table (or JSON), and the failing devices of paused rollouts with their output.
import type { CommandListResponse, CommandSummary } from '../control/commands-api.js';
import type { MetaClient } from './meta-client.js';
import { printOutput, type OutputFormat } from './output.js';

function rolloutCell(c: CommandSummary): string {
  const r = c.rollout;
  if (!r) return c.origin === 'override' ? 'trial' : 'all at once';
  const step = `step ${Math.min(r.step + 1, r.steps.length)}/${r.steps.length} (${r.released}/${r.selected})`;
  return `${step} ${r.state}${r.pauseReason === 'spec' ? ' (paused: true)' : ''}`;
}

export function formatCommandsTable(list: CommandListResponse): string {
  const header = ['COMMAND', 'IDENTITY', 'ORIGIN', 'ROLLOUT', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'TIMEDOUT'];
  const cells = list.commands.map((c) => [
    c.name, c.id.slice(c.name.length + 1), c.origin, rolloutCell(c),
    String(c.counts.pending), String(c.counts.running), String(c.counts.succeeded), String(c.counts.failed + c.counts.interrupted), String(c.counts.timedOut),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`revision ${list.revision ? list.revision.slice(0, 12) : '(none)'}: ${list.commands.length} command identit${list.commands.length === 1 ? 'y' : 'ies'}`, line(header), ...cells.map(line)];
  for (const c of list.commands) {
    const r = c.rollout;
    if (!r || r.state !== 'paused' || r.failing.length === 0) continue;
    out.push('', `${c.id}: rollout paused after ${r.failing.length} failure${r.failing.length === 1 ? '' : 's'} (maxFailures ${r.maxFailures}); resume: drover rollouts resume ${r.key} (or a new commit)`);
    for (const f of r.failing) {
      out.push(`  ${f.deviceId}: ${f.status}${f.exitCode !== null ? ` exit ${f.exitCode}` : ''}${f.error ? ` ${f.error}` : ''}`);
      const tail = (f.outputTail ?? '').trimEnd().split('\n').slice(-5);
      for (const t of tail) if (t) out.push(`    | ${t}`);
    }
  }
  return out.join('\n') + '\n';
}

export async function showCommands(client: MetaClient, format: OutputFormat): Promise<number> {
  const list = await client.get<CommandListResponse>('v1/commands');
  printOutput(format, list, () => formatCommandsTable(list));
  return 0;
}

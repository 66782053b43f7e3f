// Renders the fleet as `drover status` prints it. Pure.
export interface StatusRow {
  id: string;
  condition: string;
  reason: string;
  revision: string | null;
  lastSeen: string | null;
  drift: number;
  agentVersion?: string | null;
}

export function ago(iso: string | null, now: number): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatStatusTable(rows: readonly StatusRow[], now: number): string {
  const header = ['DEVICE', 'CONDITION', 'REASON', 'REVISION', 'LAST SEEN', 'AGENT', 'DRIFT'];
  const cells = rows.map((r) => [r.id, r.condition, r.reason, r.revision ? r.revision.slice(0, 12) : '-', ago(r.lastSeen, now), r.agentVersion ?? '-', String(r.drift)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}

export function formatSummary(status: {
  revision: string | null;
  devices: { total: number; byCondition: Record<string, number> };
  rejected?: { revision: string; problems: string[] } | null;
  lastError?: { message: string } | null;
  enrollments?: { pending: number };
}): string {
  const counts = Object.entries(status.devices.byCondition).map(([k, v]) => `${v} ${k}`).join(', ');
  const lines = [`revision ${status.revision ? status.revision.slice(0, 12) : '(none)'}: ${counts}`];
  if (status.rejected) {
    lines.push(`rejected ${status.rejected.revision.slice(0, 12)} (${status.rejected.problems.length} problem${status.rejected.problems.length === 1 ? '' : 's'}):`);
    for (const p of status.rejected.problems.slice(0, 20)) lines.push(`  ${p}`);
  }
  if (status.lastError) lines.push(`last fetch failed: ${status.lastError.message}`);
  const pending = status.enrollments?.pending ?? 0;
  if (pending) lines.push(`${pending} device${pending === 1 ? '' : 's'} waiting to be enrolled: drover devices`);
  return lines.join('\n') + '\n';
}

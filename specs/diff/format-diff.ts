// Renders a FleetDiff as the text a reviewer reads on a pull request.
import { formatDuration } from '../schema/duration.js';
import type { Change, FleetDiff } from './diff-fleets.js';

export function formatChange(c: Change): string {
  const staged = 'rollout' in c && c.rollout ? ` (rollout ${c.rollout})` : '';
  switch (c.kind) {
    case 'package-added': return `+ install ${c.name} ${c.version} (${c.state})${staged}`;
    case 'package-removed': return `- remove ${c.name} ${c.version}`;
    case 'package-upgraded': return `^ upgrade ${c.name} ${c.from} -> ${c.to}${staged}`;
    case 'package-downgraded': return `v downgrade ${c.name} ${c.from} -> ${c.to}${staged}`;
    case 'package-state': return `~ ${c.to === 'started' ? 'start' : c.to === 'stopped' ? 'stop' : c.to} ${c.name} (was ${c.from})`;
    case 'package-artifact': return `! ${c.name} ${c.version}: ${c.note}${staged}`;
    case 'package-settings': return `~ ${c.name} ${c.version}: control/run settings change`;
    case 'command-runs': return `> run ${c.id} (${c.origin}${staged ? `, rollout ${c.rollout}` : ''}): ${oneLine(c.run)}`;
    case 'command-removed': return `x drop command ${c.id}`;
    case 'heartbeat': return `~ heartbeat ${formatDuration(c.fromMs)} -> ${formatDuration(c.toMs)}`;
  }
}

function oneLine(s: string): string {
  const line = s.replace(/\s*\n\s*/g, '; ').trim();
  return line.length > 100 ? line.slice(0, 97) + '...' : line;
}

/** How the summary line names each kind of change: [one, several]. */
const SUMMARY: Record<Change['kind'], [string, string]> = {
  'package-added': ['install', 'installs'],
  'package-removed': ['removal', 'removals'],
  'package-upgraded': ['upgrade', 'upgrades'],
  'package-downgraded': ['downgrade', 'downgrades'],
  'package-state': ['state change', 'state changes'],
  'package-artifact': ['artifact change', 'artifact changes'],
  'package-settings': ['settings change', 'settings changes'],
  'command-runs': ['command run', 'command runs'],
  'command-removed': ['command dropped', 'commands dropped'],
  heartbeat: ['heartbeat change', 'heartbeat changes'],
};

export function formatFleetDiff(diff: FleetDiff, opts: { all?: boolean } = {}): string {
  const lines: string[] = [];
  for (const d of diff.devices) {
    if (!d.changes.length && !opts.all) continue;
    const tag = d.presence === 'added' ? ' (new device)' : d.presence === 'removed' ? ' (device removed)' : '';
    lines.push(`${d.id}${tag}${d.changes.length ? '' : ': no change'}`);
    for (const c of d.changes) lines.push(`  ${formatChange(c)}`);
  }
  const parts = (Object.keys(SUMMARY) as Change['kind'][]).filter((k) => diff.counts[k]).map((k) => `${diff.counts[k]} ${SUMMARY[k][diff.counts[k] === 1 ? 0 : 1]}`);
  lines.push(`${diff.affected} of ${diff.total} devices affected${parts.length ? `: ${parts.join(', ')}` : ''}`);
  return lines.join('\n') + '\n';
}

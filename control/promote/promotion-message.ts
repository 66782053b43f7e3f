// The commit message of a promotion: what was promoted, from where, to whom, how it rolls out,
// and how its trials went. Pure.
import type { Selector } from '../../specs/schema/selector.js';
import type { PromotionRollout } from './edit-fleet-yaml.js';
import { describe, type TrialVerdict } from './trial-results.js';

export interface PromotionSummary {
  name: string;
  identity: string | null;
  from: readonly string[];
  select?: Selector;
  rollout: PromotionRollout;
  controlFile: string;
  /** Null when meta was not asked (no --meta). */
  trials: (TrialVerdict & { meta: string }) | null;
  forced: boolean;
}

export function describeSelector(sel: Selector | undefined): string {
  if (!sel) return 'every device';
  const parts: string[] = [];
  if (sel.ids?.length) parts.push(`ids ${sel.ids.join(', ')}`);
  const labels = Object.entries(sel.labels ?? {});
  if (labels.length) parts.push(`labels ${labels.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  for (const m of sel.match ?? []) parts.push(`${m.key} ${m.in ? `in ${m.in.join('|')}` : m.notIn ? `not in ${m.notIn.join('|')}` : m.exists ? 'exists' : 'absent'}`);
  return parts.length ? parts.join('; ') : 'every device';
}

export function describeRollout(r: PromotionRollout): string {
  return `steps ${r.steps.join(', ')}; pauses after ${r.maxFailures === 0 ? 'the first failure' : `more than ${r.maxFailures} failure${r.maxFailures === 1 ? '' : 's'}`}`;
}

export function promotionMessage(s: PromotionSummary): string {
  const lines = [
    `control: promote ${s.name} from ${s.from.join(', ')}`,
    '',
    `Promote the command "${s.name}"${s.identity ? ` (${s.identity})` : ''} from the trial override${s.from.length === 1 ? '' : 's'} of ${s.from.join(', ')} into ${s.controlFile}.`,
    '',
    `Selector: ${describeSelector(s.select)}`,
    `Rollout:  ${describeRollout(s.rollout)}`,
    '',
  ];
  if (!s.trials) {
    lines.push('Trial results: not checked (drover promote ran without --meta).');
  } else {
    lines.push(`Trial results (from meta ${s.trials.meta}):`);
    const width = Math.max(...s.trials.results.map((r) => r.deviceId.length));
    for (const r of s.trials.results) lines.push(`  ${r.deviceId.padEnd(width)}  ${r.result ? describe(r.result) : 'no result'}`);
  }
  if (s.forced && s.trials?.objections.length) {
    lines.push('', 'Promoted with --force despite:');
    for (const o of s.trials.objections) lines.push(`  - ${o}`);
  }
  return lines.join('\n') + '\n';
}

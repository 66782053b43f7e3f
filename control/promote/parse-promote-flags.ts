// Parses the selector and rollout flags of `drover promote` into their fleet-spec forms.
import { DroverError } from '../../lib/errors.js';
import { RolloutSchema } from '../../specs/schema/primitives.js';
import { SelectorSchema, type Selector } from '../../specs/schema/selector.js';
import type { PromotionRollout } from './edit-fleet-yaml.js';

const bad = (message: string): DroverError => new DroverError('CONFIG_INVALID', message);

/** `role=web`, `site=bj` → labels; `id=web-*` (or `ids=`) → device id globs. Empty → undefined (every device). */
export function parseSelectFlags(items: readonly string[]): Selector | undefined {
  if (items.length === 0) return undefined;
  const labels: Record<string, string> = {};
  const ids: string[] = [];
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw bad(`--select "${item}" must be written key=value (a label) or id=GLOB`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 'id' || key === 'ids') ids.push(value);
    else if (labels[key] !== undefined && labels[key] !== value) throw bad(`--select gives two values for label "${key}": every label given must match, so no device would`);
    else labels[key] = value;
  }
  const sel = { ...(ids.length ? { ids } : {}), ...(Object.keys(labels).length ? { labels } : {}) };
  const parsed = SelectorSchema.safeParse(sel);
  if (!parsed.success) throw bad(`--select: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

/** `1,10%,100%` and a failure budget → a validated rollout. */
export function parseRolloutFlags(steps: readonly string[], maxFailures: number): PromotionRollout {
  const values = steps.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const parsed = RolloutSchema.safeParse({ steps: values, maxFailures });
  if (!parsed.success) {
    throw bad(`--rollout ${steps.join(',')} / --max-failures ${maxFailures}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  return { steps: parsed.data.steps, maxFailures: parsed.data.maxFailures };
}

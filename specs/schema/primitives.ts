// Building blocks shared by the fleet-repository schemas.
import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Names of packages, devices, commands and users: safe in paths and URLs. */
export const NameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must start with a letter or digit and use only letters, digits, ".", "_" and "-" (at most 128)');

/** Versions are strings: a YAML number such as 5.10 would silently become 5.1. */
export const VersionSchema = z
  .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string: quote it ({source}) so YAML keeps it exact' : 'must be a string') })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/, 'must be a version such as 1.2.3 or 5.2.0-rc1 (letters, digits, ".", "_", "+", "~", "-")');

/** A duration such as `30s`, `5m`, `1h30m`, parsed to milliseconds. */
export const DurationSchema = z
  .union([z.string(), z.number()])
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (write e.g. 500ms, 30s, 5m, 1h30m)` });
      return z.NEVER;
    }
    return ms;
  });

export const LabelKeySchema = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9._/-]{0,62})$/, 'label keys use letters, digits, ".", "_", "/" and "-"');
export const LabelValueSchema = z.union([z.string(), z.number(), z.boolean()]).transform((v) => String(v));
export const LabelsSchema = z.record(LabelKeySchema, LabelValueSchema);

/** A hexadecimal checksum of `length` characters; the message says what is wrong with a bad one. */
function hexChecksum(kind: 'sha256' | 'md5', length: number) {
  return z
    .string({ error: (iss) => (typeof iss.input === 'number' ? 'must be a string: quote it so YAML does not read it as a number' : 'must be a string') })
    .check((ctx) => {
      const value = ctx.value;
      if (value.length === length && /^[0-9a-fA-F]+$/.test(value)) return;
      let why: string;
      if (value.length !== length) {
        why = ` (this one has ${value.length})`;
        if (kind === 'sha256' && value.length === 32) why += ': 32 is the length of an md5, write it as md5:';
        if (kind === 'md5' && value.length === 64) why += ': 64 is the length of a sha256, write it as sha256:';
      } else why = `: "${/[^0-9a-fA-F]/.exec(value)![0]}" is not hexadecimal`;
      ctx.issues.push({ code: 'custom', input: value, message: `must be ${length} hexadecimal characters${why}` });
    })
    .transform((s) => s.toLowerCase());
}

export const Sha256Schema = hexChecksum('sha256', 64);
export const Md5Schema = hexChecksum('md5', 32);

export const UrlSchema = z.string().refine((s) => /^(https?|file):\/\/./.test(s), 'must be an http://, https:// or file:// URL');

/** A rollout step: a device count (`1`) or a share of the selected devices (`10%`). */
export const RolloutStepSchema = z.union([
  z.number().int().positive(),
  z.string().regex(/^(100|[1-9]?[0-9](\.[0-9]+)?)%$/, 'a step is a device count (e.g. 1) or a percentage (e.g. 10%)'),
]);

export const RolloutSchema = z
  .strictObject({
    steps: z.array(RolloutStepSchema).min(1, 'a rollout needs at least one step'),
    /** How many failed devices the rollout tolerates before it pauses. */
    maxFailures: z.number().int().min(0).default(0),
    /** Set by an operator to hold the rollout where it is. */
    paused: z.boolean().default(false),
    /** Wait this long after a step succeeded before the next one. */
    interval: DurationSchema.optional(),
  })
  .superRefine((r, ctx) => {
    let last = 0;
    let lastPct = 0;
    r.steps.forEach((step, i) => {
      if (typeof step === 'number') {
        if (step < last) ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'steps must not decrease' });
        last = step;
      } else {
        const pct = Number(step.slice(0, -1));
        if (pct <= lastPct) ctx.addIssue({ code: 'custom', path: ['steps', i], message: 'percentage steps must increase' });
        lastPct = pct;
      }
    });
  });

export type Rollout = z.infer<typeof RolloutSchema>;
export type RolloutStep = z.infer<typeof RolloutStepSchema>;

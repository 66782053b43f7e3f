// Bash commands: trials in devices/<id>.yaml, approved ones in control.yaml.
import { z } from 'zod';
import { DurationSchema, NameSchema, RolloutSchema } from './primitives.js';
import { SelectorSchema } from './selector.js';

/** When a command runs again: never (once, the default), every interval, or when a package's version changes. */
export const RepeatSchema = z.union([
  z.strictObject({ every: DurationSchema }),
  z.strictObject({ onVersionChange: NameSchema }),
]);

export const CommandFieldsSchema = {
  name: NameSchema,
  run: z.string().min(1, 'must not be empty'),
  /** Default: fleet.yaml defaults.commandTimeout (5m). */
  timeout: DurationSchema.optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, 'must be a user name').optional(),
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment names use letters, digits and _'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  workdir: z.string().min(1).optional(),
  repeat: RepeatSchema.optional(),
  description: z.string().optional(),
};

/** A command under trial in one device's override. */
export const TrialCommandSchema = z.strictObject(CommandFieldsSchema);

/** An approved command in control.yaml. */
export const ApprovedCommandSchema = z.strictObject({
  ...CommandFieldsSchema,
  select: SelectorSchema.optional(),
  rollout: RolloutSchema.optional(),
});

export const ControlFileSchema = z.strictObject({
  commands: z.array(ApprovedCommandSchema).default([]),
});

export type RepeatSpec = z.infer<typeof RepeatSchema>;
export type TrialCommandSpec = z.infer<typeof TrialCommandSchema>;
export type ApprovedCommandSpec = z.infer<typeof ApprovedCommandSchema>;
export type ControlFileSpec = z.infer<typeof ControlFileSchema>;

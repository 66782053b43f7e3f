// devices/<id>.yaml: a device's labels, how to reach it, and its overrides.
import { z } from 'zod';
import { LabelsSchema, NameSchema } from './primitives.js';
import { PackageSchema, PackageVariantFieldsSchema } from './package.js';
import { TrialCommandSchema } from './command.js';

/** A pin of a package defined in packages/: version, artifact or state for this device only. */
export const PackagePinSchema = z.strictObject(PackageVariantFieldsSchema);

/** Device ids are lower-case: OpenSSH lower-cases host names, so `ssh -J jump Web-01` asks for "web-01". */
export const DeviceIdSchema = NameSchema.refine((id) => id === id.toLowerCase(), { error: (issue) => `device ids must be lower-case (OpenSSH lower-cases host names, so \`ssh -J\` could never reach it): use "${String(issue.input).toLowerCase()}"` });

export const DeviceSchema = z.strictObject({
  id: DeviceIdSchema,
  /** How the jump server reaches the device: `host` or `host:port` (default: the address the agent reports). */
  address: z.string().min(1).optional(),
  labels: LabelsSchema.optional(),
  /** Pins of packages from packages/ (canaries, holds). */
  packages: z.record(NameSchema, PackagePinSchema).optional(),
  /** Packages only this device runs: complete definitions. */
  extraPackages: z.array(PackageSchema).optional(),
  /** Commands under trial on this device. */
  commands: z.array(TrialCommandSchema).optional(),
  description: z.string().optional(),
});

export type PackagePin = z.infer<typeof PackagePinSchema>;
export type DeviceSpec = z.infer<typeof DeviceSchema>;

// devices/<id>.yaml: a device's labels, how to reach it, and its overrides.
import { z } from 'zod';
import { LabelsSchema, NameSchema } from './primitives.js';
import { PackageSchema, PackageVariantFieldsSchema } from './package.js';
import { TrialCommandSchema } from './command.js';

/** A pin of a package defined in packages/: version, artifact or state for this device only. */
export const PackagePinSchema = z.strictObject(PackageVariantFieldsSchema);

/** Device ids are lower-case: OpenSSH lower-cases host names, so `ssh -J jump Web-01` asks for "web-01". */
export const DeviceIdSchema = NameSchema.refine((id) => id === id.toLowerCase(), { error: (issue) => `device ids must be lower-case (OpenSSH lower-cases host names, so \`ssh -J\` could never reach it): use "${String(issue.input).toLowerCase()}"` });

/** The fingerprint of an SSH public key as `ssh-keygen -l` prints it: `SHA256:` and 43 base64 characters. */
export const KeyFingerprintSchema = z
  .string()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'must be a key fingerprint as `ssh-keygen -l` prints it: SHA256: and 43 base64 characters');

/**
 * How the device's enrollment request is admitted (an agent started with the fleet enrollment token):
 * `auto` accepts the first key it enrolls with, `{ fingerprint }` accepts only that key; without
 * `enroll`, a person accepts it (`drover devices accept ID`, the dashboard).
 */
export const EnrollSchema = z.union([z.literal('auto'), z.strictObject({ fingerprint: KeyFingerprintSchema })], {
  error: () => 'must be `auto` or `{ fingerprint: "SHA256:…" }`',
});

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
  /** Enrollment: accepted at once with `auto` or a matching key fingerprint, else by a person. */
  enroll: EnrollSchema.optional(),
});

export type PackagePin = z.infer<typeof PackagePinSchema>;
export type EnrollSpec = z.infer<typeof EnrollSchema>;
export type DeviceSpec = z.infer<typeof DeviceSchema>;

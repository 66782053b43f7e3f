// The desired document: what one device should run, as meta sends it and the agent applies it.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

export const DesiredArtifactSchema = z.object({
  url: z.string(),
  sha256: z.string().optional(),
  md5: z.string().optional(),
  size: z.number().optional(),
  /** `meta`: download through meta's artifact cache (`/v1/artifacts/{sha256}`) instead of `url`. */
  via: z.enum(['upstream', 'meta']),
});

export const DesiredPackageSchema = z.object({
  name: z.string(),
  /** `agent`: the agent upgrades itself to this version (agent/self-update/) instead of installing a package. */
  kind: z.literal('agent').optional(),
  version: z.string(),
  artifact: DesiredArtifactSchema,
  state: z.enum(['started', 'stopped', 'absent']),
  /** The control script, relative to the version folder; null when the agent supervises `run`. */
  control: z.object({ script: z.string(), timeoutMs: z.number() }).nullable(),
  run: z
    .object({
      command: z.array(z.string()),
      env: z.record(z.string(), z.string()).optional(),
      stopGraceMs: z.number(),
      restartBackoffMs: z.number(),
      maxRestartBackoffMs: z.number(),
    })
    .nullable(),
  pidFile: z.string().nullable(),
  keepVersions: z.number(),
  /** The package's `order:` in the fleet (packages come in this order, then by name); absent when not set. */
  order: z.number().optional(),
  /** How long a version that failed to install or start waits before it is tried again; absent: the default (1 h). */
  retryFailedAfterMs: z.number().optional(),
  /** Set by meta when an operator asks for a retry (`drover retry`): a failure recorded before this time (epoch ms) is tried again now. */
  retryRequestedAt: z.number().optional(),
});

/** Default of fleet.yaml `retryFailedAfter`: a failed version is tried again after an hour (or on a new document, or on request). */
export const DEFAULT_RETRY_FAILED_AFTER_MS = 3_600_000;

export const DesiredCommandSchema = z.object({
  /** `name@hash`: what the agent records as run. */
  id: z.string(),
  name: z.string(),
  hash: z.string(),
  run: z.string(),
  timeoutMs: z.number(),
  user: z.string().nullable(),
  env: z.record(z.string(), z.string()).nullable(),
  workdir: z.string().nullable(),
  /** null: once. */
  repeat: z.union([z.object({ everyMs: z.number() }), z.object({ onVersionChange: z.string(), version: z.string().nullable() })]).nullable(),
  /** `override`: under trial in the device's file; `approved`: from control.yaml. */
  origin: z.enum(['override', 'approved']),
});

export const DesiredDocumentSchema = z.object({
  packages: z.array(DesiredPackageSchema),
  commands: z.array(DesiredCommandSchema),
  heartbeatMs: z.number(),
});

export type DesiredArtifact = z.infer<typeof DesiredArtifactSchema>;
export type DesiredPackage = z.infer<typeof DesiredPackageSchema>;
export type DesiredCommand = z.infer<typeof DesiredCommandSchema>;
export type DesiredDocument = z.infer<typeof DesiredDocumentSchema>;

// fleet.yaml: defaults for the whole fleet.
import { z } from 'zod';
import { DurationSchema, NameSchema } from './primitives.js';
import { ArtifactViaSchema } from './package.js';

export const FleetSettingsSchema = z.strictObject({
  name: NameSchema.optional(),
  /** How often agents heartbeat (they add jitter). */
  heartbeat: DurationSchema.default(240_000),
  /** A device is Offline after this many missed heartbeats. */
  offlineAfter: z.number().int().min(1).default(3),
  /** Installed versions each package keeps for rollback. */
  keepVersions: z.number().int().min(1).default(2),
  /** A version whose install, start or health check failed is tried again after this long (or on a new document, or `drover retry`). */
  retryFailedAfter: DurationSchema.default(3_600_000),
  artifacts: z
    .strictObject({
      /** Agents download from the upstream URL, or through meta's cache. */
      via: ArtifactViaSchema.default('upstream'),
    })
    .default({ via: 'upstream' }),
  defaults: z
    .strictObject({
      controlTimeout: DurationSchema.default(60_000),
      commandTimeout: DurationSchema.default(300_000),
    })
    .default({ controlTimeout: 60_000, commandTimeout: 300_000 }),
  description: z.string().optional(),
});

export type FleetSettings = z.infer<typeof FleetSettingsSchema>;

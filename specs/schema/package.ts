// packages/<name>.yaml: one package, its artifact, desired state, where it runs and how it rolls out.
import { z } from 'zod';
import { DurationSchema, Md5Schema, NameSchema, RolloutSchema, Sha256Schema, UrlSchema, VersionSchema } from './primitives.js';
import { SelectorSchema } from './selector.js';

export const PackageStateSchema = z.enum(['started', 'stopped', 'absent']);
export type PackageState = z.infer<typeof PackageStateSchema>;

/** Where agents download from: the upstream URL, or meta's artifact cache. */
export const ArtifactViaSchema = z.enum(['upstream', 'meta']);

export const ArtifactSchema = z
  .strictObject({
    url: UrlSchema,
    sha256: Sha256Schema.optional(),
    md5: Md5Schema.optional(),
    size: z.number().int().positive().optional(),
    via: ArtifactViaSchema.optional(),
  })
  .refine((a) => a.sha256 !== undefined || a.md5 !== undefined, {
    message: 'an artifact needs a checksum: sha256 (preferred) or md5 (legacy packages)',
  });
export type Artifact = z.infer<typeof ArtifactSchema>;

/** The Open-Falcon `control` script contract: `control start|stop|status`. */
export const ControlSchema = z.strictObject({
  script: z.string().min(1).default('control'),
  /** Default: fleet.yaml defaults.controlTimeout (60s). */
  timeout: DurationSchema.optional(),
});

/** A package the agent supervises itself instead of through a control script. */
export const RunSchema = z.strictObject({
  command: z.union([z.string().min(1).transform((s) => [s]), z.array(z.string().min(1)).min(1)]),
  env: z.record(z.string(), z.union([z.string(), z.number()]).transform(String)).optional(),
  stopGrace: DurationSchema.default(10_000),
  restartBackoff: DurationSchema.default(1000),
  maxRestartBackoff: DurationSchema.default(60_000),
});

/** Fields a variant (selector-based override) or a device pin may change. */
export const PackageVariantFieldsSchema = {
  version: VersionSchema.optional(),
  artifact: ArtifactSchema.optional(),
  state: PackageStateSchema.optional(),
};

export const PackageOverrideSchema = z.strictObject({ select: SelectorSchema, ...PackageVariantFieldsSchema });

export const PackageSchema = z
  .strictObject({
    name: NameSchema,
    /** `agent`: the drover agent itself (its artifact is drover-agent.mjs or a binary); agents upgrade themselves to it. */
    kind: z.enum(['package', 'agent']).optional(),
    version: VersionSchema,
    artifact: ArtifactSchema,
    state: PackageStateSchema.default('started'),
    select: SelectorSchema.optional(),
    control: ControlSchema.optional(),
    run: RunSchema.optional(),
    /** A pid file (relative to the version folder) whose process group is killed when `control stop` times out. */
    pidFile: z.string().min(1).optional(),
    /** Installed versions to keep for rollback (default from fleet.yaml). */
    keepVersions: z.number().int().min(1).optional(),
    rollout: RolloutSchema.optional(),
    /**
     * Variants for devices that match a selector; the last matching one wins as a whole (ops-meta's
     * `others`): the fields it does not set come from the package, not from earlier overrides.
     */
    overrides: z.array(PackageOverrideSchema).optional(),
    /**
     * Where the package comes in a device's document (lowest first; then by name): the order in which
     * agents apply packages and Open-Falcon updaters get their desiredAgents. Without it, by name.
     */
    order: z.number().int().min(0).max(1_000_000).optional(),
    description: z.string().optional(),
  })
  .refine((p) => !(p.control && p.run), { message: 'a package has either a control script or run:, not both', path: ['run'] });

export type PackageSpec = z.infer<typeof PackageSchema>;
export type PackageOverride = z.infer<typeof PackageOverrideSchema>;

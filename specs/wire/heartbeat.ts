// POST /v1/heartbeat: what the agent reports and what meta answers.
import { z } from 'zod';
import { DesiredDocumentSchema, PROTOCOL_VERSION } from './desired.js';

const Text = (max: number) => z.string().max(max);

export const ReportedPackageStateSchema = z.enum(['started', 'stopped', 'failed', 'absent', 'unknown']);
/** What the agent is doing with a package right now. */
export const PackagePhaseSchema = z.enum([
  'idle', 'downloading', 'verifying', 'unpacking', 'stopping', 'switching', 'starting', 'checking', 'removing', 'rolledBack', 'waiting',
]);
export const CommandStatusSchema = z.enum(['pending', 'running', 'succeeded', 'failed', 'timedOut', 'interrupted', 'skipped']);

/**
 * Why the version wanted now is not running, as the device recorded it: a machine-readable
 * `reason` (DiskFull, ChecksumMismatch, ArchiveRefused, DownloadFailed, InstallFailed,
 * StartFailed, HealthCheckFailed, StopFailed), the step and error code, the control script's
 * exit code, and when it is tried again.
 */
export const PackageFailureSchema = z.object({
  reason: Text(64),
  code: Text(64),
  step: Text(32),
  version: Text(128),
  message: Text(4096),
  exitCode: z.number().int().nullable().optional(),
  at: Text(64),
  /** When the agent tries this version again by itself (ISO); null when only a change or a retry request will. */
  retryAt: Text(64).nullable().optional(),
  attempts: z.number().int().min(0).optional(),
  rolledBack: z.boolean().optional(),
  /** Disk full: bytes the step needed (null when unknown) and bytes available. */
  neededBytes: z.number().nullable().optional(),
  availableBytes: z.number().nullable().optional(),
});

export const PackageReportSchema = z.object({
  name: Text(128),
  /** The version installed and current; null when none is. */
  version: Text(128).nullable(),
  state: ReportedPackageStateSchema,
  phase: PackagePhaseSchema.default('idle'),
  /** The version being installed, while phase is not idle. */
  targetVersion: Text(128).nullable().optional(),
  error: Text(4096).nullable().optional(),
  /** Tail of the control script's or process's output, for failures. */
  outputTail: Text(65_536).nullable().optional(),
  pid: z.number().int().nullable().optional(),
  restarts: z.number().int().min(0).optional(),
  lastExit: z.object({ code: z.number().int().nullable(), signal: z.string().nullable(), at: z.string() }).nullable().optional(),
  updatedAt: z.string().optional(),
  failure: PackageFailureSchema.nullable().optional(),
});

export const CommandReportSchema = z.object({
  id: Text(200),
  name: Text(128),
  status: CommandStatusSchema,
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().nullable().optional(),
  startedAt: z.string().nullable().optional(),
  finishedAt: z.string().nullable().optional(),
  durationMs: z.number().nullable().optional(),
  /** stdout and stderr interleaved, the last 64 KB at most. */
  outputTail: Text(65_536).nullable().optional(),
  truncated: z.boolean().optional(),
});

export const DeviceFactsSchema = z
  .object({
    os: Text(64).optional(),
    arch: Text(64).optional(),
    addresses: z.array(Text(64)).max(64).optional(),
    agentVersion: Text(64).optional(),
    /** Port of the device's SSH server, for the jump server (default 22). */
    sshPort: z.number().int().min(1).max(65535).optional(),
  })
  .catchall(z.union([Text(256), z.number(), z.boolean()]));

export const HeartbeatRequestSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  device: z.object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'device id: letters, digits, ".", "_", "-" (at most 128)'),
    hostname: Text(255).optional(),
    labels: z.record(Text(63), Text(255)).default({}),
    facts: DeviceFactsSchema.default({}),
  }),
  /** Etag of the desired document the agent holds (long-poll key); null at first start. */
  etag: Text(128).nullable().default(null),
  /** Etag of the last document the agent fully converged to. */
  appliedEtag: Text(128).nullable().default(null),
  packages: z.array(PackageReportSchema).max(1000).default([]),
  commands: z.array(CommandReportSchema).max(1000).default([]),
});

export const HeartbeatResponseSchema = z.object({
  protocol: z.literal(PROTOCOL_VERSION),
  deviceId: z.string(),
  etag: z.string(),
  /** Git commit the document was resolved from. */
  revision: z.string().nullable(),
  /** How long to wait before the next heartbeat (the agent adds jitter). */
  heartbeatMs: z.number(),
  /** Omitted when the agent's etag is current: it already has this document. */
  desired: DesiredDocumentSchema.optional(),
});

export type PackageReport = z.infer<typeof PackageReportSchema>;
export type PackageFailure = z.infer<typeof PackageFailureSchema>;

/** How one run of a command ended, as every layer keeps it (journal, store, API). */
export interface CommandRunOutcome {
  exitCode: number | null;
  signal: string | null;
  startedAt: string | null;
  /** null while running or when unknown (interrupted). */
  finishedAt: string | null;
  durationMs: number | null;
  outputTail: string | null;
  truncated: boolean;
}
export type CommandReport = z.infer<typeof CommandReportSchema>;
export type DeviceFacts = z.infer<typeof DeviceFactsSchema>;
export type HeartbeatRequest = z.infer<typeof HeartbeatRequestSchema>;
export type HeartbeatRequestInput = z.input<typeof HeartbeatRequestSchema>;
export type HeartbeatResponse = z.infer<typeof HeartbeatResponseSchema>;
export type CommandStatus = z.infer<typeof CommandStatusSchema>;
export type PackagePhase = z.infer<typeof PackagePhaseSchema>;

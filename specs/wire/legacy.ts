// The Open-Falcon ops-meta protocol (POST /heartbeat), exactly as ops-updater speaks it.
import { z } from 'zod';

export const LegacyRealAgentSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** Trimmed output of `./control status`: contains `started` or `stoped` (sic), or an error. */
  status: z.string(),
  /** Unix seconds. */
  timestamp: z.number(),
});

export const LegacyHeartbeatRequestSchema = z.object({
  hostname: z.string(),
  realAgents: z.array(LegacyRealAgentSchema).nullable().optional(),
});

export const LegacyDesiredAgentSchema = z.object({
  name: z.string(),
  version: z.string(),
  /** Base URL: the updater fetches `{tarball}/{name}-{version}.tar.gz`. */
  tarball: z.string(),
  /** Base URL of `{name}-{version}.tar.gz.md5` (md5sum format); empty means use `tarball`. */
  md5: z.string(),
  /** `start` or `stop`. */
  cmd: z.string(),
});

export const LegacyHeartbeatResponseSchema = z.object({
  errorMessage: z.string(),
  desiredAgents: z.array(LegacyDesiredAgentSchema).nullable(),
});

export type LegacyRealAgent = z.infer<typeof LegacyRealAgentSchema>;
export type LegacyHeartbeatRequest = z.infer<typeof LegacyHeartbeatRequestSchema>;
export type LegacyDesiredAgent = z.infer<typeof LegacyDesiredAgentSchema>;
export type LegacyHeartbeatResponse = z.infer<typeof LegacyHeartbeatResponseSchema>;

/** Maps an updater's status string to drover's package state. */
export function legacyStatusToState(status: string): 'started' | 'stopped' | 'failed' {
  const s = status.trim().toLowerCase();
  if (s.includes('started')) return 'started';
  if (s.includes('stoped') || s.includes('stopped')) return 'stopped';
  return 'failed';
}

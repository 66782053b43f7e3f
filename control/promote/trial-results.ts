// Trial results of a command on its trial devices, as meta reports them (`GET /v1/commands/:name`),
// and the verdict a promotion needs: did it succeed everywhere it was tried?
import { DroverError, errorMessage } from '../../lib/errors.js';
import { formatDuration } from '../../specs/schema/duration.js';
import type { CommandDetailResponse, CommandDeviceResult } from '../commands-api.js';

export interface TrialVerdict {
  /** The result per trial device (the newest for the trial identity), or null when there is none. */
  results: { deviceId: string; result: CommandDeviceResult | null }[];
  /** Why the promotion should not go ahead; empty when every trial succeeded. */
  objections: string[];
}

const FINISHED = new Set(['succeeded', 'failed', 'timedOut', 'interrupted', 'skipped']);

/**
 * Judges the results for `devices`. `identity` is the trial's `name@hash`, or null when the identity
 * depends on the device (repeat on a package version change): then any result of the name counts.
 */
export function judgeTrials(name: string, identity: string | null, devices: readonly string[], rows: readonly CommandDeviceResult[]): TrialVerdict {
  const results: TrialVerdict['results'] = [];
  const objections: string[] = [];
  for (const deviceId of devices) {
    const mine = rows
      .filter((r) => r.deviceId === deviceId && r.name === name && (identity === null || r.id === identity) && r.status !== 'notReleased')
      .sort((a, b) => (b.reportedAt ?? '').localeCompare(a.reportedAt ?? ''));
    const result = mine.find((r) => FINISHED.has(r.status)) ?? mine[0] ?? null;
    results.push({ deviceId, result });
    if (!result) objections.push(`${deviceId}: no result for ${identity ?? name} yet`);
    else if (!FINISHED.has(result.status)) objections.push(`${deviceId}: still ${result.status}`);
    else if (result.status !== 'succeeded') objections.push(`${deviceId}: ${describe(result)}`);
  }
  return { results, objections };
}

export function describe(r: CommandDeviceResult): string {
  const parts: string[] = [r.status];
  if (r.exitCode !== null && r.exitCode !== undefined) parts.push(`exit ${r.exitCode}`);
  if (r.signal) parts.push(`signal ${r.signal}`);
  if (r.durationMs !== null && r.durationMs !== undefined) parts.push(formatDuration(Math.round(r.durationMs)));
  return parts.join(', ');
}

/** Fetches `GET {meta}/v1/commands/{name}` with the admin token. */
export async function fetchCommandResults(meta: string, adminToken: string | undefined, name: string, timeoutMs = 15_000): Promise<CommandDetailResponse> {
  const url = `${meta.replace(/\/+$/, '')}/v1/commands/${encodeURIComponent(name)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: adminToken ? { authorization: `Bearer ${adminToken}` } : {}, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new DroverError('META_UNREACHABLE', `cannot reach meta at ${meta}: ${errorMessage(err)}`);
  }
  if (res.status === 404) return { name, revision: null, identities: [], devices: [] };
  if (res.status === 401 || res.status === 403) throw new DroverError('META_UNAUTHORIZED', `meta at ${meta} refused the admin token (${res.status}): pass --admin-token`);
  if (!res.ok) throw new DroverError('META_ERROR', `meta at ${meta} answered ${res.status} for ${url}: ${(await res.text()).slice(0, 300)}`);
  const body = (await res.json()) as CommandDetailResponse;
  if (!body || !Array.isArray(body.devices)) throw new DroverError('META_BAD_ANSWER', `meta at ${meta} sent an unexpected answer for ${url}`);
  return body;
}

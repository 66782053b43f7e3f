// The devices meta knows, filtered by labels and condition, page by page (GET /v1/devices):
// shared by `drover status`, `drover devices` and `drover wait`.
import type { OptionSpec } from '../lib/config.js';
import type { MetaClient } from './meta-client.js';
import type { StatusRow } from './status-table.js';

export const SELECT_OPTIONS: OptionSpec[] = [
  { name: 'label', short: 'l', type: 'list', help: 'only devices with these labels (key=value, comma-separated or repeated)', metavar: 'K=V', env: false },
  { name: 'condition', type: 'string', help: 'only devices in this condition (InSync, Progressing, Failed, Offline, Revoked; comma-separated)', metavar: 'NAME', env: false },
  { name: 'limit', type: 'number', help: 'at most this many devices', default: 1000, env: false },
];

export interface DeviceRow extends StatusRow {
  labels: Record<string, string>;
  message?: string;
  desiredEtag?: string | null;
  appliedEtag?: string | null;
}

export interface DeviceList {
  devices: DeviceRow[];
  /** Meta's current revision when it answered. */
  revision: string | null;
  total: number;
  /** More devices match than `limit`. */
  more: boolean;
  limit: number;
}

export async function listDevices(client: MetaClient, values: Record<string, unknown>): Promise<DeviceList> {
  const limit = Math.max(1, Math.floor((values.limit as number | undefined) ?? 1000));
  const labels = (values.label as string[] | undefined) ?? [];
  const devices: DeviceRow[] = [];
  let cursor: string | null = null;
  let total = 0;
  let revision: string | null = null;
  for (let page = 0; page < 10_000 && devices.length < limit; page++) {
    const q = new URLSearchParams({ limit: String(Math.min(1000, limit - devices.length)) });
    for (const l of labels) q.append('label', l);
    if (values.condition) q.set('condition', values.condition as string);
    if (cursor) q.set('cursor', cursor);
    const body: { items: DeviceRow[]; nextCursor: string | null; total: number; revision?: string | null } = await client.get(`v1/devices?${q}`);
    devices.push(...body.items);
    total = body.total;
    revision = body.revision ?? null;
    cursor = body.nextCursor;
    if (!cursor) break;
  }
  return { devices, revision, total, more: cursor !== null, limit };
}

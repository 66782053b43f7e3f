// What the demo prints: each device's condition and packages, from meta's /v1/devices API, and
// whether the fleet has converged with hello-service really running (its pid alive).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DeviceLine {
  id: string;
  condition: string;
  reason: string;
  packages: { name: string; version: string | null; state: string; phase: string; desired: string | null; pid: number | null }[];
}

async function getJson(url: string, token: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

export async function fetchDevices(metaUrl: string, adminToken: string, ids: string[]): Promise<DeviceLine[]> {
  return Promise.all(
    ids.map(async (id) => {
      try {
        const d = await getJson(`${metaUrl}/v1/devices/${id}`, adminToken);
        return {
          id,
          condition: d.condition,
          reason: d.reason,
          packages: (d.packages ?? []).map((p: any) => ({
            name: p.name,
            version: p.report?.version ?? null,
            state: p.report?.state ?? 'absent',
            phase: p.report?.phase ?? 'idle',
            desired: p.desired?.version ?? p.desiredVersion ?? null,
            pid: p.report?.pid ?? null,
          })),
        };
      } catch {
        return { id, condition: 'Unknown', reason: 'MetaUnreachable', packages: [] };
      }
    }),
  );
}

export function formatDevices(lines: DeviceLine[]): string {
  return lines
    .map((d) => {
      const pkgs = d.packages.map((p) => `${p.name} ${p.version ?? '-'} ${p.state}${p.phase !== 'idle' ? ` (${p.phase})` : ''}`).join(', ');
      return `  ${d.id.padEnd(9)} ${d.condition.padEnd(12)} ${d.reason.padEnd(14)} ${pkgs || '(no packages yet)'}`;
    })
    .join('\n');
}

/** The pid of hello-service on a device, when its process is alive. */
export function helloServicePid(deviceRoot: string): number | null {
  try {
    const pid = Number(readFileSync(join(deviceRoot, 'packages/hello-service/current/var/hello-service.pid'), 'utf8').trim());
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' ? pid : null;
  } catch {
    return null;
  }
}

/** Every device InSync, and hello-service's process alive wherever it is reported started. */
export function converged(lines: DeviceLine[], roots: Record<string, string>): boolean {
  return lines.every((d) => {
    if (d.condition !== 'InSync') return false;
    const hello = d.packages.find((p) => p.name === 'hello-service');
    return !hello || hello.state !== 'started' || helloServicePid(roots[d.id]!) !== null;
  });
}

/** One line per enrolled device: "dev-003 accepted by fleet (enroll: auto), key SHA256:…". */
export async function enrollmentLines(metaUrl: string, adminToken: string): Promise<string[]> {
  try {
    const { items } = (await getJson(`${metaUrl}/v1/enrollments`, adminToken)) as { items: { deviceId: string; status: string; decidedBy: string | null; fingerprint: string }[] };
    return items.map((e) => `${e.deviceId} ${e.status}${e.decidedBy ? ` by ${e.decidedBy}` : ''}, key ${e.fingerprint}`);
  } catch {
    return [];
  }
}

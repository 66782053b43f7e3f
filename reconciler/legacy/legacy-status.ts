// ops-meta's status pages for one agent name (http/proc.go), byte for byte. Pure.
//   GET /status/json/{name}: {"host":{"name","version","status","timestamp"} or null, …}, hosts sorted
//   GET /status/text/{name}: "host version status timestamp 2006-01-02 15:04:05\n" per host
//                            ("host not found\n" when it does not run that agent), local time
import type { LegacyRealAgent } from '../../specs/wire/legacy.js';
import { GoMap, goJson } from './go-json.js';

/** Per hostname: the agent with that name it last reported, or null. */
export type AgentStatus = Map<string, LegacyRealAgent | null>;

export function statusJson(status: AgentStatus): string {
  const entries = new Map<string, unknown>();
  for (const [host, a] of status) entries.set(host, a ? { name: a.name, version: a.version, status: a.status, timestamp: a.timestamp } : null);
  return goJson(new GoMap(entries));
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Go's time.Unix(ts, 0).Format("2006-01-02 15:04:05") in the server's time zone. */
export function goLocalTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  if (!Number.isFinite(d.getTime())) return '0001-01-01 00:00:00';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function statusText(status: AgentStatus): string {
  const hosts = [...status.keys()].sort();
  return hosts
    .map((host) => {
      const a = status.get(host);
      return a ? `${host} ${a.version} ${a.status} ${a.timestamp} ${goLocalTime(a.timestamp)}\n` : `${host} not found\n`;
    })
    .join('');
}

// Device resolution: device id -> address and labels, from (first that knows the id)
// the static map (--devices FILE), the fleet repository (devices/<id>.yaml `address:`),
// and meta's inventory (GET {meta}/v1/devices/:id: the declared address, or the agent's
// facts.addresses[0] and facts.sshPort). Labels from the repository win over reported ones.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseHostPort } from '../lib/config.js';
import { DroverError } from '../lib/errors.js';
import type { FetchLike } from '../lib/tls-fetch.js';
import type { Labels } from '../specs/resolve/match-selector.js';
import type { FleetSource } from './fleet-source.js';

export interface DeviceAddress {
  id: string;
  host: string;
  /** The device's SSH port (what port 22 on the device name maps to). */
  sshPort: number;
  labels: Labels;
  source: 'static' | 'repo' | 'meta';
}

export type StaticDevices = Map<string, { address: string; labels: Labels }>;

export function parseAddress(text: string, defaultPort = 22): { host: string; port: number } | undefined {
  const hp = parseHostPort(text);
  if (hp && hp.host) return hp;
  if (/^[A-Za-z0-9.-]+$/.test(text) || /^\[[0-9a-f:]+\]$/i.test(text)) return { host: text.replace(/^\[|\]$/g, ''), port: defaultPort };
  return undefined;
}

/** Reads the static map: YAML or JSON, `id: "host:port"` or `id: { address, labels }`. */
export function loadStaticDevices(path: string): StaticDevices {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new DroverError('CONFIG_INVALID', `--devices ${path}: ${(err as Error).message}`);
  }
  const out: StaticDevices = new Map();
  if (doc == null) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new DroverError('CONFIG_INVALID', `--devices ${path}: expected a map of device id to address`);
  for (const [id, v] of Object.entries(doc as Record<string, unknown>)) {
    const entry = typeof v === 'string' ? { address: v, labels: {} } : (v as { address?: unknown; labels?: unknown });
    if (typeof entry?.address !== 'string' || !parseAddress(entry.address)) {
      throw new DroverError('CONFIG_INVALID', `--devices ${path}: ${id}: address must be "host" or "host:port"`);
    }
    const labels = Object.fromEntries(Object.entries((entry.labels ?? {}) as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
    out.set(id, { address: entry.address, labels });
  }
  return out;
}

interface MetaDevice {
  id?: string;
  address?: string;
  labels?: Record<string, string>;
  /** meta says `declared: true|false`; an object with the declared address is accepted too. */
  declared?: boolean | { address?: string; labels?: Record<string, string> };
  facts?: { addresses?: string[]; sshPort?: number };
}

/** The known id that equals `asked` ignoring case (exact match first), else `asked`. */
export function canonicalId(asked: string, ...maps: ReadonlyMap<string, unknown>[]): string {
  if (maps.some((m) => m.has(asked))) return asked;
  const lower = asked.toLowerCase();
  for (const m of maps) for (const id of m.keys()) if (id.toLowerCase() === lower) return id;
  return asked;
}

export class DeviceResolver {
  constructor(private readonly opts: { staticDevices: StaticDevices; fleet: FleetSource; metaUrl?: string; /** Read at each request (SIGHUP may replace it). */ metaToken?: () => string | undefined; timeoutMs?: number; fetch?: FetchLike }) {}

  private headers(): Record<string, string> {
    const token = this.opts.metaToken?.();
    return token ? { authorization: `Bearer ${token}` } : {};
  }

  private fromMeta(d: MetaDevice, id: string, repoLabels: Labels | undefined): DeviceAddress | undefined {
    const decl = typeof d.declared === 'object' ? d.declared : undefined;
    const declared = decl?.address ?? d.address;
    const labels = { ...(d.labels ?? {}), ...(decl?.labels ?? {}), ...(repoLabels ?? {}) };
    const addr = declared ? parseAddress(declared) : d.facts?.addresses?.[0] ? { host: d.facts.addresses[0], port: d.facts.sshPort ?? 22 } : undefined;
    return addr ? { id, host: addr.host, sshPort: addr.port, labels, source: 'meta' } : undefined;
  }

  async resolve(asked: string): Promise<DeviceAddress | undefined> {
    // OpenSSH lower-cases host names: `ssh -J jump Web-01` asks for "web-01"; ids match case-insensitively.
    const id = canonicalId(asked, this.opts.staticDevices, this.opts.fleet.current.devices);
    const st = this.opts.staticDevices.get(id);
    const repo = this.opts.fleet.current.devices.get(id);
    if (st) {
      const a = parseAddress(st.address)!;
      return { id, host: a.host, sshPort: a.port, labels: { ...st.labels, ...(repo?.labels ?? {}) }, source: 'static' };
    }
    if (repo?.address) {
      const a = parseAddress(repo.address);
      if (a) return { id, host: a.host, sshPort: a.port, labels: repo.labels ?? {}, source: 'repo' };
    }
    if (!this.opts.metaUrl || !/^[A-Za-z0-9._-]+$/.test(id)) return undefined;
    const res = await (this.opts.fetch ?? fetch)(`${this.opts.metaUrl.replace(/\/$/, '')}/v1/devices/${encodeURIComponent(id)}`, {
      headers: this.headers(),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new DroverError('META_UNAVAILABLE', `meta answered HTTP ${res.status} for device ${id}`);
    const body = (await res.json()) as MetaDevice & { device?: MetaDevice };
    return this.fromMeta(body.device ?? body, id, repo?.labels);
  }

  /**
   * Every device known by id with its labels, for the menu (the static map, the repository, and
   * meta's device list when it answers); addresses are resolved only when one is picked.
   */
  async list(): Promise<{ id: string; labels: Labels }[]> {
    const out = new Map<string, Labels>();
    for (const [id, d] of this.opts.staticDevices) out.set(id, d.labels);
    if (this.opts.metaUrl) {
      try {
        let cursor: string | null = null;
        for (let page = 0; page < 100; page++) {
          const url = `${this.opts.metaUrl.replace(/\/$/, '')}/v1/devices?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
          const res = await (this.opts.fetch ?? fetch)(url, { headers: this.headers(), signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000) });
          if (!res.ok) break;
          const body = (await res.json()) as { items?: MetaDevice[]; nextCursor?: string | null } | MetaDevice[];
          for (const d of Array.isArray(body) ? body : (body.items ?? [])) if (typeof d.id === 'string' && !out.has(d.id)) out.set(d.id, d.labels ?? {});
          cursor = Array.isArray(body) ? null : (body.nextCursor ?? null);
          if (!cursor) break;
        }
      } catch {
        /* the menu shows what is known locally */
      }
    }
    for (const [id, d] of this.opts.fleet.current.devices) out.set(id, { ...(out.get(id) ?? {}), ...(d.labels ?? {}) });
    return [...out].map(([id, labels]) => ({ id, labels })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
}

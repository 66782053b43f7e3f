// meta's options for the legacy protocol and the artifact cache, read from MetaConfig with their
// defaults (so that the routes work with a config that predates them).
import { DroverError } from '../../lib/errors.js';
import { DEFAULT_LEGACY_ALLOW, parseCidr } from './source-network.js';

export interface LegacySettings {
  /** Serve POST /heartbeat, /status/… and the legacy artifact paths (--legacy). */
  enabled: boolean;
  /** Networks legacy updaters may connect from (--legacy-allow). */
  allow: string[];
  /** Base URL agents reach meta at (--public-url); null: from each request's Host header. */
  publicUrl: string | null;
  /** Size cap of the artifact cache in bytes (--artifact-cache-size). */
  artifactCacheBytes: number;
}

export const DEFAULT_ARTIFACT_CACHE_BYTES = 10 * 1024 ** 3;

export interface LegacyConfigFields {
  legacy?: boolean;
  legacyAllow?: string[];
  publicUrl?: string | null;
  artifactCacheBytes?: number;
}

export function legacySettings(meta: object): LegacySettings {
  const config = meta as LegacyConfigFields;
  return {
    enabled: config.legacy ?? true,
    allow: config.legacyAllow ?? DEFAULT_LEGACY_ALLOW,
    publicUrl: config.publicUrl ? config.publicUrl.replace(/\/+$/, '') : null,
    artifactCacheBytes: config.artifactCacheBytes ?? DEFAULT_ARTIFACT_CACHE_BYTES,
  };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** `500M`, `10G`, `1.5GiB`, `1048576` → bytes (binary units); undefined when not a size. */
export function parseSize(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text > 0 ? Math.floor(text) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Math.floor(Number(m[1]) * unit);
  return n > 0 ? n : undefined;
}

/** Checks for the config options (return a message or undefined, as lib/config.ts expects). */
export const checkSize = (v: unknown): string | undefined => (parseSize(v as string) ? undefined : 'must be a size such as 500M, 10G or a number of bytes');
export const checkCidrs = (v: unknown): string | undefined => {
  try {
    (v as string[]).forEach(parseCidr);
    return undefined;
  } catch (err) {
    return (err as DroverError).message;
  }
};
export const checkPublicUrl = (v: unknown): string | undefined => (/^https?:\/\/[^/]+/.test(String(v)) ? undefined : 'must be an http(s) URL such as http://meta.example:7070');

/** `--legacy false`: a switch written as a value (lib/config.ts booleans take none). */
export function parseOnOff(v: string | boolean): boolean | undefined {
  if (typeof v === 'boolean') return v;
  const t = v.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(t)) return true;
  if (['false', 'off', 'no', '0'].includes(t)) return false;
  return undefined;
}
export const checkOnOff = (v: unknown): string | undefined => (parseOnOff(v as string) === undefined ? 'must be true or false' : undefined);

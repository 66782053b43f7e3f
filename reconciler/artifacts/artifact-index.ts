// Which artifacts the fleet repository knows, by checksum: every package, override, device pin
// and device-only package contributes its artifact. Meta only serves (and only fetches) an artifact
// whose checksum is in the last good revision, and only from the URLs that revision names for it.
// Pure; computed once per spec.
import type { FleetSpec } from '../../specs/schema/fleet-spec.js';
import type { Artifact, PackageSpec } from '../../specs/schema/package.js';

export interface ArtifactEntry {
  sha256?: string;
  md5?: string;
  size?: number;
  /** Upstream URLs that the repository gives for these bytes, in the order first seen. */
  urls: string[];
  /** `{name}-{version}` of every package version that uses these bytes (legacy file names). */
  names: Set<string>;
}

export interface ArtifactIndex {
  bySha256: Map<string, ArtifactEntry>;
  byMd5: Map<string, ArtifactEntry>;
}

export type ArtifactKey = { sha256: string } | { md5: string };

const cache = new WeakMap<FleetSpec, ArtifactIndex>();

export function buildArtifactIndex(spec: FleetSpec): ArtifactIndex {
  const hit = cache.get(spec);
  if (hit) return hit;
  const index: ArtifactIndex = { bySha256: new Map(), byMd5: new Map() };
  const add = (name: string, version: string, a: Artifact): void => {
    const sha256 = a.sha256?.toLowerCase();
    const md5 = a.md5?.toLowerCase();
    let entry = (sha256 && index.bySha256.get(sha256)) || (md5 && index.byMd5.get(md5)) || undefined;
    if (!entry) entry = { urls: [], names: new Set() };
    if (sha256 && !entry.sha256) entry.sha256 = sha256;
    if (md5 && !entry.md5) entry.md5 = md5;
    if (a.size !== undefined && entry.size === undefined) entry.size = a.size;
    if (!entry.urls.includes(a.url)) entry.urls.push(a.url);
    entry.names.add(`${name}-${version}`);
    if (entry.sha256) index.bySha256.set(entry.sha256, entry);
    if (entry.md5) index.byMd5.set(entry.md5, entry);
  };
  const addPackage = (p: PackageSpec): void => {
    add(p.name, p.version, p.artifact);
    for (const o of p.overrides ?? []) add(p.name, o.version ?? p.version, o.artifact ?? p.artifact);
  };
  for (const p of spec.packages) addPackage(p);
  const byName = new Map(spec.packages.map((p) => [p.name, p] as const));
  for (const d of spec.devices) {
    for (const [name, pin] of Object.entries(d.packages ?? {})) {
      const p = byName.get(name);
      if (p) add(name, pin.version ?? p.version, pin.artifact ?? p.artifact);
    }
    for (const p of d.extraPackages ?? []) addPackage(p);
  }
  cache.set(spec, index);
  return index;
}

export function lookupArtifact(index: ArtifactIndex, key: ArtifactKey): ArtifactEntry | undefined {
  return 'sha256' in key ? index.bySha256.get(key.sha256.toLowerCase()) : index.byMd5.get(key.md5.toLowerCase());
}

/** The checksum that names an entry in URLs: sha256 when known, else md5. */
export function entryKey(entry: ArtifactEntry): string {
  return entry.sha256 ? `sha256-${entry.sha256}` : `md5-${entry.md5}`;
}

// Shared pieces for the artifact tests: real gzip tarballs' bytes, checksums, a fleet spec.
import { createHash, randomBytes } from 'node:crypto';
import { loadFleet } from '../../../specs/load/load-fleet.js';
import { memoryTree } from '../../../specs/load/tree-reader.js';
import type { FleetSpec } from '../../../specs/schema/fleet-spec.js';

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
export const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex');
export const blob = (n: number): Buffer => randomBytes(n);

export async function specOf(files: Record<string, string>): Promise<FleetSpec> {
  const r = await loadFleet(memoryTree(files));
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.file}:${p.line}: ${p.message}`).join('\n'));
  return r.spec;
}

// Test helper: a fleet spec from YAML files held in memory, through the real loader.
import assert from 'node:assert/strict';
import { formatProblem } from '../../specs/load/problem.js';
import { loadFleet } from '../../specs/load/load-fleet.js';
import { memoryTree } from '../../specs/load/tree-reader.js';
import type { FleetSpec } from '../../specs/schema/fleet-spec.js';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);
export const SHA_C = 'c'.repeat(64);

/** A package file's text. */
export function pkg(name: string, version: string, extra = '', sha = SHA_A): string {
  return `name: ${name}\nversion: "${version}"\nartifact:\n  url: https://mirror.example/${name}-${version}.tar.gz\n  sha256: ${sha}\n${extra}`;
}

/** Loads the files and fails the test unless they are valid. */
export async function fleetFromYaml(files: Record<string, string>, revision: string | null = null): Promise<FleetSpec> {
  const result = await loadFleet(memoryTree(files), { revision });
  assert.ok(result.ok, `fixture should be valid:\n${result.problems.map(formatProblem).join('\n')}`);
  return result.spec;
}

// Loads a fleet repository for the CLI: a directory, or `REV` of a git repository (`--git DIR`).
import { existsSync, statSync } from 'node:fs';
import { dirTreeReader } from '../lib/dir-tree-reader.js';
import { gitTreeReader } from '../lib/git-tree-reader.js';
import { loadFleet, type LoadResult } from '../specs/load/load-fleet.js';
import { subtreeReader } from '../specs/load/tree-reader.js';
import { DroverError } from '../lib/errors.js';

/** The options that say where a fleet is read from (`--git REPO`, `--path DIR`), shared by validate and diff. */
export function fleetLocationOptions(gitHelp: string) {
  return [
    { name: 'git', type: 'string' as const, help: gitHelp, metavar: 'REPO', env: false as const },
    { name: 'path', type: 'string' as const, help: 'the fleet\'s folder inside the repository (a fleet kept in a subfolder)', metavar: 'DIR', env: false as const },
  ];
}

export interface FleetLocation {
  /** A directory, or a git revision when `gitDir` is set. */
  where: string;
  gitDir?: string;
  /** The fleet's folder inside the repository (`--path`), for a fleet kept in a subfolder. */
  path?: string;
}

export async function loadFleetAt(loc: FleetLocation): Promise<LoadResult & { label: string }> {
  if (!loc.gitDir && existsSync(loc.where) && statSync(loc.where).isDirectory()) {
    return { ...(await loadFleet(subtreeReader(dirTreeReader(loc.where), loc.path ?? ''))), label: loc.where };
  }
  const dir = loc.gitDir ?? '.';
  let reader;
  try {
    reader = await gitTreeReader({ dir, ref: loc.where });
  } catch (err) {
    throw new DroverError('FLEET_NOT_FOUND', `${loc.where} is neither a directory nor a revision of the git repository at ${dir} (${(err as Error).message})`);
  }
  return { ...(await loadFleet(subtreeReader(reader, loc.path ?? ''), { revision: reader.commit })), label: `${loc.where} (${reader.commit.slice(0, 12)})` };
}

// The memory settings meta ships with in examples/systemd/drover-meta.service (its `Environment=`
// lines: NODE_OPTIONS and MALLOC_ARENA_MAX), read from the unit so that a benchmark measures meta
// as an operator runs it: Node flags for the command line, the rest as environment.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface UnitSettings {
  nodeArgs: string[];
  env: Record<string, string>;
  /** "NODE_OPTIONS=… MALLOC_ARENA_MAX=…", for the output. */
  shown: string;
}

/** The unit's `Environment=` assignments (one or several per line, optionally quoted). */
export function unitEnvironment(unit: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of unit.split('\n')) {
    const m = /^Environment=(.*)$/.exec(line.trim());
    if (!m) continue;
    for (const a of m[1]!.match(/"[^"]*"|\S+/g) ?? []) {
      const text = a.startsWith('"') ? a.slice(1, -1) : a;
      const eq = text.indexOf('=');
      if (eq > 0) out[text.slice(0, eq)] = text.slice(eq + 1);
    }
  }
  return out;
}

export function metaUnitSettings(root: string): UnitSettings {
  const env = unitEnvironment(readFileSync(join(root, 'examples/systemd/drover-meta.service'), 'utf8'));
  const { NODE_OPTIONS: nodeOptions = '', ...rest } = env;
  return { nodeArgs: nodeOptions.split(' ').filter(Boolean), env: rest, shown: Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ') };
}

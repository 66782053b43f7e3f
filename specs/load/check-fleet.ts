// Checks that span files: duplicates, references to unknown packages, ambiguous commands,
// selectors that match no device. Pure: works on the parsed spec and the parsed YAML sources.
import type { FleetSpec } from '../schema/fleet-spec.js';
import type { Selector } from '../schema/selector.js';
import { compileSelector, selectsEverything } from '../resolve/match-selector.js';
import { commandContentHash } from '../resolve/command-identity.js';
import type { Problem } from './problem.js';
import { locate, type YamlSource } from './yaml-source.js';
import { closest } from './zod-problems.js';

/** Which file (and path in it) each entry of the spec came from, index for index. */
export interface Origins {
  packages: YamlSource[];
  devices: YamlSource[];
  users: YamlSource[];
  commands: { src: YamlSource; path: (string | number)[] }[];
  /** Names of packages whose files failed to load: references to them are not reported again. */
  brokenPackages: Set<string>;
  /** How many device files failed to load: "selector matches no device" would then be a guess, so it is not reported. */
  brokenDevices?: number;
}

export function checkFleet(spec: FleetSpec, origins: Origins): Problem[] {
  const problems: Problem[] = [];
  const report = (src: YamlSource, path: PropertyKey[], message: string, severity: Problem['severity'] = 'error', key = false): void => {
    problems.push({ file: src.file, ...locate(src, path, { key }), message, severity });
  };
  const where = (src: YamlSource, path: PropertyKey[]): string => {
    const p = locate(src, path);
    return `${src.file}:${p.line}:${p.col}`;
  };

  // Names must be unique.
  // Names must be unique; a file is named after what it defines (a duplicate is reported once, as a duplicate).
  const unique = (kind: string, key: 'name' | 'id', names: string[], srcs: YamlSource[]): Map<string, YamlSource> => {
    const stemOf = (src: YamlSource): string => src.file.slice(src.file.lastIndexOf('/') + 1).replace(/\.ya?ml$/i, '');
    // The original is the file named after the definition (else the first one); the others are the duplicates.
    const first = new Map<string, YamlSource>();
    names.forEach((name, i) => {
      const src = srcs[i]!;
      const prior = first.get(name);
      if (!prior || (stemOf(src) === name && stemOf(prior) !== name)) first.set(name, src);
    });
    names.forEach((name, i) => {
      const src = srcs[i]!;
      const original = first.get(name)!;
      const fileStem = stemOf(src);
      if (original !== src) report(src, [key], `duplicate ${kind} "${name}" (first defined at ${where(original, [key])})${fileStem !== name ? `: was ${key} "${fileStem}" meant?` : ''}`);
      else if (fileStem !== name) report(src, [key], `${kind} "${name}" is defined in a file named "${fileStem}": name the file ${name}.yaml`, 'warning');
    });
    return first;
  };
  const firstPackage = unique('package', 'name', spec.packages.map((p) => p.name), origins.packages);
  unique('device', 'id', spec.devices.map((d) => d.id), origins.devices);
  unique('user', 'name', spec.users.map((u) => u.name), origins.users);
  const firstCommand = new Map<string, { src: YamlSource; path: (string | number)[] }>();
  spec.commands.forEach((c, i) => {
    const o = origins.commands[i]!;
    const prior = firstCommand.get(c.name);
    if (prior) report(o.src, [...o.path, 'name'], `duplicate approved command "${c.name}" (first defined at ${where(prior.src, [...prior.path, 'name'])})`);
    else firstCommand.set(c.name, o);
  });

  const packageNames = new Set(spec.packages.map((p) => p.name));
  const knownOrBroken = new Set([...packageNames, ...origins.brokenPackages]);
  const deviceLabels = spec.devices.map((d) => ({ id: d.id, labels: d.labels ?? {} }));
  const matchesNothing = (sel: Selector | undefined): boolean => {
    if (selectsEverything(sel) || deviceLabels.length === 0 || (origins.brokenDevices ?? 0) > 0) return false;
    const m = compileSelector(sel);
    return !deviceLabels.some((d) => m(d.id, d.labels));
  };
  const noMatch = 'selector matches no device defined in devices/ (devices that register later may still match)';

  // Packages: selectors, overrides, repeat references, rollouts.
  spec.packages.forEach((p, i) => {
    const src = origins.packages[i]!;
    if (matchesNothing(p.select)) report(src, ['select'], noMatch, 'warning');
    p.overrides?.forEach((o, j) => {
      if (matchesNothing(o.select)) report(src, ['overrides', j, 'select'], noMatch, 'warning');
      if (o.version !== undefined && o.version !== p.version && !o.artifact) report(src, ['overrides', j, 'version'], needsArtifact(o.version));
    });
    if (p.rollout && lastStepBelowAll(p.rollout.steps)) report(src, ['rollout', 'steps'], 'the last step does not reach 100%: the remaining devices never get this version', 'warning');
  });

  // Approved commands.
  spec.commands.forEach((c, i) => {
    const o = origins.commands[i]!;
    if (matchesNothing(c.select)) report(o.src, [...o.path, 'select'], noMatch, 'warning');
    if (c.repeat && 'onVersionChange' in c.repeat && !knownOrBroken.has(c.repeat.onVersionChange)) {
      report(o.src, [...o.path, 'repeat', 'onVersionChange'], `unknown package "${c.repeat.onVersionChange}"${hint(c.repeat.onVersionChange, packageNames)}`);
    }
    if (c.rollout && lastStepBelowAll(c.rollout.steps)) report(o.src, [...o.path, 'rollout', 'steps'], 'the last step does not reach 100%: the remaining devices never run this command', 'warning');
  });

  // Devices: pins, extra packages, trial commands.
  const approvedByName = new Map(spec.commands.map((c) => [c.name, c] as const));
  spec.devices.forEach((d, i) => {
    const src = origins.devices[i]!;
    const own = new Set(knownOrBroken);
    d.extraPackages?.forEach((p, j) => {
      if (packageNames.has(p.name)) {
        report(src, ['extraPackages', j, 'name'], `extra package "${p.name}" is already defined in ${where(firstPackage.get(p.name)!, ['name'])}: pin it under packages: instead`);
      }
      own.add(p.name);
    });
    for (const [name, pin] of Object.entries(d.packages ?? {})) {
      const base = spec.packages.find((p) => p.name === name);
      if (base && pin.version !== undefined && pin.version !== base.version && !pin.artifact) report(src, ['packages', name, 'version'], needsArtifact(pin.version));
      if (!knownOrBroken.has(name) && own.has(name)) {
        report(src, ['packages', name], `"${name}" is an extra package of this device: change it under extraPackages, not with a pin`, 'error', true);
      } else if (!knownOrBroken.has(name)) {
        report(src, ['packages', name], `pin of unknown package "${name}"${hint(name, knownOrBroken)}: define it in packages/${name}.yaml, or under extraPackages for this device alone`, 'error', true);
      }
    }
    const seen = new Set<string>();
    d.commands?.forEach((c, j) => {
      if (seen.has(c.name)) report(src, ['commands', j, 'name'], `duplicate command "${c.name}" in this device`);
      seen.add(c.name);
      if (c.repeat && 'onVersionChange' in c.repeat && !own.has(c.repeat.onVersionChange)) {
        report(src, ['commands', j, 'repeat', 'onVersionChange'], `unknown package "${c.repeat.onVersionChange}"${hint(c.repeat.onVersionChange, own)}`);
      }
      const approved = approvedByName.get(c.name);
      if (!approved) return;
      const approvedAt = firstCommand.get(c.name)!;
      const selected = compileSelector(approved.select)(d.id, d.labels ?? {});
      const same = commandContentHash(approved) === commandContentHash(c);
      if (!selected) return;
      if (same) {
        report(src, ['commands', j, 'name'], `command "${c.name}" is the same as the approved one at ${where(approvedAt.src, [...approvedAt.path, 'name'])}, which also selects this device: remove this trial copy`, 'warning');
      } else {
        report(src, ['commands', j, 'name'], `command "${c.name}" differs from the approved command of the same name at ${where(approvedAt.src, [...approvedAt.path, 'name'])}, which also selects this device: rename the trial (e.g. "${c.name}-v2") or remove one`);
      }
    });
  });

  // Users.
  spec.users.forEach((u, i) => {
    const src = origins.users[i]!;
    u.access.forEach((rule, j) => {
      if (matchesNothing(rule.select)) report(src, ['access', j, 'select'], noMatch, 'warning');
    });
  });

  return problems;
}

function lastStepBelowAll(steps: (number | string)[]): boolean {
  const last = steps[steps.length - 1];
  return last !== '100%';
}

function needsArtifact(version: string): string {
  return `version "${version}" needs its own artifact: add artifact: { url, sha256 } for it (without one the agent would install the package's default artifact under this version)`;
}

function hint(name: string, known: Set<string>): string {
  const c = closest(name, known);
  return c ? ` (did you mean "${c}"?)` : '';
}

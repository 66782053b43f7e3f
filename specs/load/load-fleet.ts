// Loads a whole fleet repository tree: every file parsed and validated, every problem reported
// with file:line:col, then the cross-file checks. Returns the spec only when there is no error.
import type { z } from 'zod';
import { ControlFileSchema } from '../schema/command.js';
import { DeviceSchema } from '../schema/device.js';
import { FleetSettingsSchema } from '../schema/fleet.js';
import type { FleetSpec, SourceRef } from '../schema/fleet-spec.js';
import { PackageSchema } from '../schema/package.js';
import { UserSchema } from '../schema/user.js';
import { checkFleet, type Origins } from './check-fleet.js';
import { sortProblems, type Problem } from './problem.js';
import type { TreeReader } from './tree-reader.js';
import { locate, parseYamlSource, type YamlSource } from './yaml-source.js';
import { closest, zodIssuesToProblems } from './zod-problems.js';

export type LoadResult =
  | { ok: true; spec: FleetSpec; problems: Problem[]; sources: Map<string, YamlSource> }
  | { ok: false; problems: Problem[]; sources: Map<string, YamlSource> };

const FOLDERS = { packages: 'package', devices: 'device', users: 'user' } as const;
type Folder = keyof typeof FOLDERS;

const isYaml = (p: string): boolean => /\.ya?ml$/i.test(p);
const stem = (p: string): string => p.slice(p.lastIndexOf('/') + 1).replace(/\.ya?ml$/i, '');
const isIgnorable = (p: string): boolean => {
  const base = p.slice(p.lastIndexOf('/') + 1);
  return base.startsWith('.') || /^(README|LICENSE|CODEOWNERS)(\.[a-z]+)?$/i.test(base);
};

export interface LoadOptions {
  revision?: string | null;
}

/**
 * Validates one file's value. `named` is the name or id field that defaults to the file name: when the
 * file does not set it, a bad one is the file name's fault and the message says so.
 */
function validate<S extends z.ZodType>(src: YamlSource, schema: S, value: unknown, problems: Problem[], named?: { key: string; kind: string }): z.infer<S> | undefined {
  const obj = value as Record<string, unknown>;
  const fromFileName = named && obj[named.key] === undefined;
  const input = fromFileName ? { [named.key]: stem(src.file), ...obj } : obj;
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  let issues = result.error.issues;
  if (fromFileName) {
    const bad = issues.filter((i) => i.path.length === 1 && i.path[0] === named.key);
    issues = issues.filter((i) => !bad.includes(i));
    if (bad.length) {
      problems.push({ file: src.file, line: 1, col: 1, severity: 'error', message: `the file name "${stem(src.file)}" is not a valid ${named.kind} ${named.key}: it ${bad[0]!.message}; rename the file` });
    }
  }
  problems.push(...zodIssuesToProblems(src, schema, issues));
  return undefined;
}

export async function loadFleet(reader: TreeReader, opts: LoadOptions = {}): Promise<LoadResult> {
  const problems: Problem[] = [];
  const sources = new Map<string, YamlSource>();
  const files = (await reader.list()).filter((f) => !f.split('/').some((seg) => seg.startsWith('.')));

  const classified: { file: string; kind: 'fleet' | 'control' | 'package' | 'device' | 'user' }[] = [];
  for (const file of files) {
    const top = file.split('/')[0]!;
    if (file === 'fleet.yaml' || file === 'fleet.yml') classified.push({ file, kind: 'fleet' });
    else if (file === 'control.yaml' || file === 'control.yml') classified.push({ file, kind: 'control' });
    else if (top in FOLDERS && file.includes('/')) {
      if (isYaml(file)) classified.push({ file, kind: FOLDERS[top as Folder] });
      else if (!isIgnorable(file)) {
        problems.push({ file, line: 1, col: 1, message: `only YAML files (.yaml) belong in ${top}/: rename or move this file`, severity: 'error' });
      }
    } else if (!file.includes('/') && isYaml(file)) {
      const near = closest(stem(file), ['fleet', 'control']);
      problems.push({ file, line: 1, col: 1, message: `not part of the fleet layout (fleet.yaml, control.yaml, packages/, devices/, users/)${near ? ` (did you mean "${near}.yaml"?)` : ''}: ignored`, severity: 'warning' });
    } else if (isYaml(file) && closest(top, Object.keys(FOLDERS))) {
      // `device/dev-001.yaml`: a whole folder silently ignored would be worse than a warning.
      problems.push({ file, line: 1, col: 1, message: `"${top}/" is not a fleet folder (did you mean "${closest(top, Object.keys(FOLDERS))}/"?): ignored`, severity: 'warning' });
    }
  }
  const fleetFiles = classified.filter((c) => c.kind === 'fleet');
  if (fleetFiles.length > 1) problems.push({ file: fleetFiles[1]!.file, line: 1, col: 1, message: `both fleet.yaml and fleet.yml exist; keep one`, severity: 'error' });
  const controlFiles = classified.filter((c) => c.kind === 'control');
  if (controlFiles.length > 1) problems.push({ file: controlFiles[1]!.file, line: 1, col: 1, message: `both control.yaml and control.yml exist; keep one`, severity: 'error' });

  const texts = await Promise.all(classified.map((c) => reader.read(c.file)));
  const spec: FleetSpec = {
    revision: opts.revision ?? null,
    fleet: FleetSettingsSchema.parse({}),
    packages: [],
    devices: [],
    commands: [],
    users: [],
    sources: {},
  };
  const origins: Origins = { packages: [], devices: [], users: [], commands: [], brokenPackages: new Set() };
  const refOf = (src: YamlSource, path: PropertyKey[] = []): SourceRef => ({ file: src.file, ...locate(src, path) });

  classified.forEach(({ file, kind }, i) => {
    const src = parseYamlSource(file, texts[i]!);
    sources.set(file, src);
    problems.push(...src.problems);
    const before = problems.length;
    loadOne(src, kind);
    const broken = src.problems.some((p) => p.severity === 'error') || problems.slice(before).some((p) => p.severity === 'error');
    if (broken && kind === 'package') {
      origins.brokenPackages.add(stem(file));
      const named = (src.value as { name?: unknown } | undefined)?.name;
      if (typeof named === 'string') origins.brokenPackages.add(named);
    }
    if (broken && kind === 'device') origins.brokenDevices = (origins.brokenDevices ?? 0) + 1;
  });

  /** A file that defines one named object (a package, a device, a user): validated, kept with its source. */
  function named<S extends z.ZodType>(src: YamlSource, obj: Record<string, unknown>, schema: S, key: string, kind: string, into: z.infer<S>[], from: YamlSource[]): void {
    const item = validate(src, schema, obj, problems, { key, kind });
    if (!item) return;
    into.push(item);
    from.push(src);
    spec.sources[`${kind}:${String((item as Record<string, unknown>)[key])}`] ??= refOf(src, [key]);
  }

  function loadOne(src: YamlSource, kind: (typeof classified)[number]['kind']): void {
    const file = src.file;
    if (src.problems.some((p) => p.severity === 'error')) return;
    let value = src.value;
    if (value === null || value === undefined) {
      if (kind === 'fleet' || kind === 'control') value = {};
      else {
        problems.push({ file, line: 1, col: 1, message: `empty file: a ${kind} definition was expected`, severity: 'error' });
        return;
      }
    }
    if (typeof value !== 'object' || Array.isArray(value)) {
      const pos = locate(src, []);
      problems.push({ file, ...pos, message: `expected a map of fields, not ${Array.isArray(value) ? 'a list' : `a ${typeof value}`}`, severity: 'error' });
      return;
    }
    const obj = value as Record<string, unknown>;
    switch (kind) {
      case 'fleet': {
        const fleet = validate(src, FleetSettingsSchema, obj, problems);
        if (fleet) spec.fleet = fleet;
        break;
      }
      case 'control': {
        const control = validate(src, ControlFileSchema, obj, problems);
        control?.commands.forEach((c, idx) => {
          spec.commands.push(c);
          origins.commands.push({ src, path: ['commands', idx] });
          spec.sources[`command:${c.name}`] ??= refOf(src, ['commands', idx]);
        });
        break;
      }
      case 'package':
        named(src, obj, PackageSchema, 'name', 'package', spec.packages, origins.packages);
        break;
      case 'device':
        named(src, obj, DeviceSchema, 'id', 'device', spec.devices, origins.devices);
        break;
      case 'user':
        named(src, obj, UserSchema, 'name', 'user', spec.users, origins.users);
        break;
    }
  }

  problems.push(...checkFleet(spec, origins));
  const sorted = sortProblems(problems);
  if (sorted.some((p) => p.severity === 'error')) return { ok: false, problems: sorted, sources };
  return { ok: true, spec, problems: sorted, sources };
}

// Prepares a validated spec for fast per-device resolution: selectors compiled, every package
// variant turned into its desired form once, with the hash of its canonical JSON. Resolving a
// device then only picks prepared pieces and hashes their hashes.
import type { ApprovedCommandSpec, TrialCommandSpec } from '../schema/command.js';
import type { DeviceSpec, PackagePin } from '../schema/device.js';
import type { FleetSpec } from '../schema/fleet-spec.js';
import type { PackageSpec } from '../schema/package.js';
import { DEFAULT_RETRY_FAILED_AFTER_MS, type DesiredCommand, type DesiredPackage } from '../wire/desired.js';
import { canonicalJson, sha256Hex } from './canonical-json.js';
import { commandContentHash, commandId } from './command-identity.js';
import { compileSelector, type DeviceMatcher } from './match-selector.js';

/** A desired piece with the hash of its canonical JSON. */
export interface Hashed<T> {
  value: T;
  hash: string;
  /** A process-wide serial number of this piece: a cheap key for memoising etags of piece sequences. */
  seq?: number;
}

let nextSeq = 1;

export interface CompiledPackage {
  name: string;
  spec: PackageSpec;
  matches: DeviceMatcher;
  base: Hashed<DesiredPackage>;
  /** Selector-based variants; the last one that matches wins. */
  variants: { matches: DeviceMatcher; pkg: Hashed<DesiredPackage> }[];
}

export interface CompiledCommand {
  name: string;
  spec: ApprovedCommandSpec;
  matches: DeviceMatcher;
  /** Null when the command repeats on a package's version change: its identity depends on the device. */
  fixed: Hashed<DesiredCommand> | null;
}

export interface CompiledFleet {
  spec: FleetSpec;
  revision: string | null;
  heartbeatMs: number;
  devices: Map<string, DeviceSpec>;
  packages: CompiledPackage[];
  commands: CompiledCommand[];
  /** Desired forms of packages and commands that only some devices have (pins, trials), by device id. */
  perDevice: Map<string, { pinned: Map<string, Hashed<DesiredPackage>>; extra: Hashed<DesiredPackage>[] }>;
  /**
   * Commands whose desired form depends on the device (trials, `repeat.onVersionChange`), memoised per
   * command and resolved version: many devices share one form, so each is built and hashed once.
   */
  commandForms?: WeakMap<TrialCommandSpec, Map<string, Hashed<DesiredCommand>>>;
  /** Etags of documents already resolved, by the sequence of their pieces: devices often share one. */
  etags?: Map<string, string>;
  /**
   * True when no selector names device ids: a device without a file in devices/ then resolves to a
   * document that depends on its labels alone (devices with the same labels share one resolution).
   */
  labelsOnly?: boolean;
}

/** The desired form of a command for a device, from the compiled fleet's memo. */
export function memoCommand(
  fleet: CompiledFleet,
  c: TrialCommandSpec,
  origin: DesiredCommand['origin'],
  versionOf: (pkg: string) => string | null,
): Hashed<DesiredCommand> {
  const forms = (fleet.commandForms ??= new WeakMap());
  let byVersion = forms.get(c);
  if (!byVersion) forms.set(c, (byVersion = new Map()));
  const version = c.repeat && 'onVersionChange' in c.repeat ? versionOf(c.repeat.onVersionChange) : null;
  const key = `${origin}|${version ?? ''}|${version === null ? 0 : 1}`;
  let form = byVersion.get(key);
  if (!form) byVersion.set(key, (form = hashed(desiredCommand(fleet.spec, c, origin, versionOf))));
  return form;
}

export function hashed<T>(value: T): Hashed<T> {
  return { value, hash: sha256Hex(canonicalJson(value), 24), seq: nextSeq++ };
}

export function desiredPackage(spec: FleetSpec, p: PackageSpec, pin?: PackagePin): DesiredPackage {
  const artifact = pin?.artifact ?? p.artifact;
  const runSpec = p.run;
  return {
    name: p.name,
    ...(p.kind === 'agent' ? { kind: 'agent' as const } : {}),
    version: pin?.version ?? p.version,
    artifact: {
      url: artifact.url,
      ...(artifact.sha256 ? { sha256: artifact.sha256 } : {}),
      ...(artifact.md5 ? { md5: artifact.md5 } : {}),
      ...(artifact.size ? { size: artifact.size } : {}),
      via: artifact.via ?? p.artifact.via ?? spec.fleet.artifacts.via,
    },
    state: pin?.state ?? p.state,
    control: runSpec ? null : { script: p.control?.script ?? 'control', timeoutMs: p.control?.timeout ?? spec.fleet.defaults.controlTimeout },
    run: runSpec
      ? {
          command: runSpec.command,
          ...(runSpec.env ? { env: runSpec.env } : {}),
          stopGraceMs: runSpec.stopGrace,
          restartBackoffMs: runSpec.restartBackoff,
          maxRestartBackoffMs: runSpec.maxRestartBackoff,
        }
      : null,
    pidFile: p.pidFile ?? null,
    keepVersions: p.keepVersions ?? spec.fleet.keepVersions,
    ...(p.order !== undefined ? { order: p.order } : {}),
    // Only when not the default: documents (and their etags) of fleets that do not set it stay as they were.
    ...(spec.fleet.retryFailedAfter !== DEFAULT_RETRY_FAILED_AFTER_MS ? { retryFailedAfterMs: spec.fleet.retryFailedAfter } : {}),
  };
}

export function desiredCommand(
  spec: FleetSpec,
  c: TrialCommandSpec,
  origin: DesiredCommand['origin'],
  versionOf: (pkg: string) => string | null,
): DesiredCommand {
  let repeat: DesiredCommand['repeat'] = null;
  let extra: Record<string, unknown> | undefined;
  if (c.repeat && 'every' in c.repeat) repeat = { everyMs: c.repeat.every };
  else if (c.repeat && 'onVersionChange' in c.repeat) {
    const version = versionOf(c.repeat.onVersionChange);
    repeat = { onVersionChange: c.repeat.onVersionChange, version };
    extra = { version };
  }
  const hash = commandContentHash(c, extra);
  return {
    id: commandId(c.name, hash),
    name: c.name,
    hash,
    run: c.run,
    timeoutMs: c.timeout ?? spec.fleet.defaults.commandTimeout,
    user: c.user ?? null,
    env: c.env ?? null,
    workdir: c.workdir ?? null,
    repeat,
    origin,
  };
}

/** The fleet's package order: `order:` (unset last), then by name. */
export function byPackageOrder(a: { name: string; order?: number | undefined }, b: { name: string; order?: number | undefined }): number {
  const oa = a.order ?? Infinity;
  const ob = b.order ?? Infinity;
  if (oa !== ob) return oa < ob ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function compileFleet(spec: FleetSpec): CompiledFleet {
  const packages: CompiledPackage[] = [...spec.packages]
    .sort(byPackageOrder)
    .map((p) => ({
      name: p.name,
      spec: p,
      matches: compileSelector(p.select),
      base: hashed(desiredPackage(spec, p)),
      variants: (p.overrides ?? []).map((o) => ({ matches: compileSelector(o.select), pkg: hashed(desiredPackage(spec, p, o)) })),
    }));
  const commands: CompiledCommand[] = [...spec.commands]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((c) => ({
      name: c.name,
      spec: c,
      matches: compileSelector(c.select),
      fixed: c.repeat && 'onVersionChange' in c.repeat ? null : hashed(desiredCommand(spec, c, 'approved', () => null)),
    }));
  const byName = new Map(spec.packages.map((p) => [p.name, p] as const));
  const perDevice: CompiledFleet['perDevice'] = new Map();
  for (const d of spec.devices) {
    const pinned = new Map<string, Hashed<DesiredPackage>>();
    for (const [name, pin] of Object.entries(d.packages ?? {})) {
      const p = byName.get(name);
      if (p) pinned.set(name, hashed(desiredPackage(spec, p, pin)));
    }
    const extra = (d.extraPackages ?? []).map((p) => hashed(desiredPackage(spec, p)));
    if (pinned.size || extra.length) perDevice.set(d.id, { pinned, extra });
  }
  return {
    spec,
    revision: spec.revision,
    heartbeatMs: spec.fleet.heartbeat,
    devices: new Map(spec.devices.map((d) => [d.id, d] as const)),
    packages,
    commands,
    perDevice,
    commandForms: new WeakMap(),
    etags: new Map(),
    labelsOnly: ![...spec.packages.flatMap((p) => [p.select, ...(p.overrides ?? []).map((o) => o.select)]), ...spec.commands.map((c) => c.select)].some((sel) => sel?.ids?.length),
  };
}

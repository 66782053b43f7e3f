// Turns an ops-meta cfg.json into fleet-repository files. Pure: the md5 files are fetched by the
// caller (md5FileUrls lists them) and passed in.
//
// ops-meta's rule (g/parser.go): start from `default`; for each `others` entry in order whose
// `prefix` starts the hostname, every non-empty field replaces the current one. The prefixes that
// start one hostname always form a chain (each is a prefix of the longer ones), so a hostname's
// answer depends only on the longest configured prefix it starts with. The importer therefore
// writes one override per distinct prefix P, selecting `ids: ["P*"]`, holding ops-meta's answer for
// the hostname P itself, with shorter prefixes listed first: drover's "last matching override wins"
// then gives every hostname exactly ops-meta's answer, even where several rules combine.
import { NameSchema, VersionSchema } from '../../specs/schema/primitives.js';
import type { OpsMetaAgentDefault, OpsMetaConfig } from './ops-meta-config.js';

export type Md5Result = { md5: string; warning?: string } | { error: string };

export interface ImportNote {
  level: 'todo' | 'warning';
  message: string;
}

export interface ImportPlan {
  files: Record<string, string>;
  notes: ImportNote[];
  packages: number;
  overrides: number;
}

export interface ImportOptions {
  /** Where drover agents download: through meta's cache (default; devices often reach only meta) or upstream. */
  via?: 'meta' | 'upstream';
  /** Shown in the generated comments. */
  source?: string;
}

interface Answer {
  version: string;
  tarball: string;
  md5: string;
  cmd: string;
}

const tarballName = (name: string, version: string): string => `${name}-${version}.tar.gz`;
const tarballUrl = (name: string, a: Answer): string => `${a.tarball}/${tarballName(name, a.version)}`;
const md5Url = (name: string, a: Answer): string => `${a.md5 || a.tarball}/${tarballName(name, a.version)}.md5`;

/** A prefix as an `ids` glob: the prefix matched literally, then anything. */
export function prefixGlob(prefix: string): string {
  return prefix.replace(/[*?[]/g, (c) => `[${c}]`) + '*';
}

/** Distinct prefixes in config order, except that a prefix always comes before the longer ones it starts. */
export function orderPrefixes(prefixes: string[]): string[] {
  const out: string[] = [];
  for (const p of prefixes) {
    if (out.includes(p)) continue;
    const at = out.findIndex((q) => q.length > p.length && q.startsWith(p));
    if (at < 0) out.push(p);
    else out.splice(at, 0, p);
  }
  return out;
}

/** ops-meta's answer for one hostname, with commands other than start/stop in `others` not applied (see notes). */
function fold(d: OpsMetaAgentDefault, others: OpsMetaConfig['agents'][number]['others'], hostname: string): Answer {
  const a: Answer = { version: d.version, tarball: d.tarball, md5: d.md5, cmd: d.cmd };
  for (const o of others) {
    if (!hostname.startsWith(o.prefix)) continue;
    if (o.version !== '') a.version = o.version;
    if (o.tarball !== '') a.tarball = o.tarball;
    if (o.md5 !== '') a.md5 = o.md5;
    if (o.cmd === 'start' || o.cmd === 'stop') a.cmd = o.cmd;
  }
  return a;
}

/** The `.md5` files the import needs, in order. */
export function md5FileUrls(cfg: OpsMetaConfig): string[] {
  const urls = new Set<string>();
  for (const agent of cfg.agents) {
    const d = agent.default;
    if (!d) continue;
    urls.add(md5Url(d.name, fold(d, [], '')));
    for (const p of agent.others.map((o) => o.prefix)) urls.add(md5Url(d.name, fold(d, agent.others, p)));
  }
  return [...urls];
}

const q = (s: string): string => JSON.stringify(s);

export function planOpsMetaImport(cfg: OpsMetaConfig, md5s: Map<string, Md5Result>, opts: ImportOptions = {}): ImportPlan {
  const notes: ImportNote[] = [];
  const files: Record<string, string> = {};
  const source = opts.source ?? 'cfg.json';
  let overrides = 0;
  const seen = new Set<string>();

  cfg.agents.forEach((agent, i) => {
    const d = agent.default;
    if (!d) {
      notes.push({ level: 'warning', message: `agents[${i}] has no "default": ops-meta skipped it, so does the import` });
      return;
    }
    const name = d.name;
    if (!NameSchema.safeParse(name).success) {
      notes.push({ level: 'todo', message: `agents[${i}]: the name ${q(name)} cannot be a drover package name (letters, digits, ".", "_", "-"): not imported` });
      return;
    }
    if (seen.has(name)) {
      notes.push({ level: 'warning', message: `agents[${i}]: a second agent named ${q(name)}: ops-meta answered both, drover keeps the first` });
      return;
    }
    seen.add(name);
    if (d.cmd !== 'start' && d.cmd !== 'stop') {
      notes.push({ level: 'todo', message: `${name}: default cmd ${q(d.cmd)} is neither start nor stop (the updater ignored it): imported as state stopped; choose started or stopped in packages/${name}.yaml` });
    }
    agent.others.forEach((o, j) => {
      if (o.cmd !== '' && o.cmd !== 'start' && o.cmd !== 'stop') {
        notes.push({ level: 'warning', message: `${name}: others[${j}] (prefix ${q(o.prefix)}) has cmd ${q(o.cmd)}, neither start nor stop (the updater ignored it): not applied` });
      }
    });

    const lines: string[] = [];
    const todo = (indent: string, what: string, url: string, reason: string): void => {
      lines.push(`${indent}# TODO(import): ${what}: ${url} could not be read (${reason}).`);
      lines.push(`${indent}#   Put the md5 here (the first word of that file, or \`md5sum ${what.replace(/^md5 of /, '')}\`), then run drover validate.`);
      notes.push({ level: 'todo', message: `packages/${name}.yaml: ${what}: ${url}: ${reason}` });
    };
    const artifactLines = (indent: string, a: Answer): void => {
      if (!VersionSchema.safeParse(a.version).success) {
        notes.push({ level: 'todo', message: `packages/${name}.yaml: version ${q(a.version)} is not a drover version: edit it` });
      }
      if (a.tarball === '') notes.push({ level: 'todo', message: `packages/${name}.yaml: no tarball base URL for version ${q(a.version)}` });
      const url = md5Url(name, a);
      const got = md5s.get(url) ?? { error: 'not fetched' };
      lines.push(`${indent}artifact:`);
      lines.push(`${indent}  url: ${q(tarballUrl(name, a))}`);
      if ('md5' in got) {
        lines.push(`${indent}  md5: ${q(got.md5)}   # from ${url}`);
        if (got.warning) notes.push({ level: 'warning', message: `${url}: ${got.warning}` });
      } else {
        todo(`${indent}  `, `md5 of ${tarballName(name, a.version)}`, url, got.error);
        lines.push(`${indent}  md5: "TODO"`);
      }
    };
    const state = (cmd: string): string => (cmd === 'start' ? 'started' : 'stopped');

    const base = fold(d, [], '');
    lines.push(`# Imported from ops-meta ${source}, agents[${i}].`);
    lines.push(`name: ${q(name)}`);
    lines.push(`version: ${q(base.version)}`);
    artifactLines('', base);
    lines.push(`state: ${state(base.cmd)}   # ops-meta cmd ${q(base.cmd)}`);
    lines.push(`order: ${seen.size}   # cfg.json's order: updaters get (and apply) their agents in this order`);

    const prefixes = orderPrefixes(agent.others.map((o) => o.prefix));
    const answers = new Map<string, Answer>();
    const variantLines: string[] = [];
    for (const p of prefixes) {
      const a = fold(d, agent.others, p);
      answers.set(p, a);
      // the answer a hostname starting with p would otherwise get: the longest shorter prefix's, or the default
      const enclosing = [...answers.keys()].filter((k) => k !== p && p.startsWith(k)).sort((x, y) => y.length - x.length)[0];
      const before = enclosing === undefined ? base : answers.get(enclosing)!;
      if (a.version === before.version && a.tarball === before.tarball && a.md5 === before.md5 && a.cmd === before.cmd) continue;
      const rules = agent.others.map((o, j) => [o, j] as const).filter(([o]) => p.startsWith(o.prefix)).map(([, j]) => j);
      const saved = lines.length;
      lines.push(`  - select: { ids: [${q(prefixGlob(p))}] }   # others[${rules.join(', ')}]`);
      const artifactChanged = a.version !== base.version || a.tarball !== base.tarball || (a.md5 || a.tarball) !== (base.md5 || base.tarball);
      if (a.version !== base.version) lines.push(`    version: ${q(a.version)}`);
      if (artifactChanged) artifactLines('    ', a);
      if (a.cmd !== base.cmd) lines.push(`    state: ${state(a.cmd)}   # ops-meta cmd ${q(a.cmd)}`);
      variantLines.push(...lines.splice(saved));
      overrides++;
    }
    if (variantLines.length) {
      lines.push('# ops-meta `others`: a prefix rule is an ids glob; the last matching override wins.');
      lines.push('overrides:');
      lines.push(...variantLines);
    }
    files[`packages/${name}.yaml`] = lines.join('\n') + '\n';
  });

  files['fleet.yaml'] = [
    `# Imported from ops-meta ${source} by \`drover import ops-meta\`.`,
    '# Legacy updaters always download through meta (POST /heartbeat answers with meta\'s URLs);',
    '# `via` is what drover\'s own agent does.',
    'artifacts:',
    `  via: ${opts.via ?? 'meta'}`,
    '',
  ].join('\n');
  return { files, notes, packages: seen.size, overrides };
}

/** Reads an md5sum-format file: `<md5>  <file>` (or `<md5> *<file>`, or the md5 alone). */
export function parseMd5File(text: string, expectedFile: string): Md5Result {
  const line = text.split('\n').map((l) => l.trim()).find((l) => l !== '');
  const m = line ? /^([0-9a-fA-F]{32})(?:\s+\*?(.+))?$/.exec(line) : null;
  if (!m) return { error: 'not in md5sum format' };
  const md5 = m[1]!.toLowerCase();
  const named = m[2]?.trim();
  if (named !== undefined && named.replace(/^.*\//, '') !== expectedFile) {
    return { md5, warning: `names ${q(named)}, not ${q(expectedFile)}: the old updater's md5sum -c could not have passed` };
  }
  return { md5 };
}

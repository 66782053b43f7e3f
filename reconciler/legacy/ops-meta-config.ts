// An Open-Falcon ops-meta cfg.json, read the way ops-meta's Go code read it: keys matched
// case-insensitively (encoding/json), unknown keys ignored, a missing field empty, a null entry
// skipped. Only the `agents` part matters to drover.
import { DroverError } from '../../lib/errors.js';

export interface OpsMetaAgentDefault {
  name: string;
  version: string;
  tarball: string;
  md5: string;
  cmd: string;
}

export interface OpsMetaAgentOther {
  prefix: string;
  version: string;
  tarball: string;
  md5: string;
  cmd: string;
}

export interface OpsMetaAgent {
  /** null when the entry has no default: ops-meta skipped such entries ("default configuration is missed"). */
  default: OpsMetaAgentDefault | null;
  others: OpsMetaAgentOther[];
}

export interface OpsMetaConfig {
  agents: OpsMetaAgent[];
}

type Json = Record<string, unknown>;

function field(obj: Json, key: string): unknown {
  if (key in obj) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) return obj[k];
  return undefined;
}

function str(obj: Json, key: string, where: string): string {
  const v = field(obj, key);
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DroverError('OPS_META_CONFIG_INVALID', `${where}.${key} must be a string, not ${JSON.stringify(v)}`);
  return v;
}

function obj(v: unknown, where: string): Json | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new DroverError('OPS_META_CONFIG_INVALID', `${where} must be an object`);
  return v as Json;
}

export function parseOpsMetaConfig(text: string, file = 'cfg.json'): OpsMetaConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text.trim());
  } catch (err) {
    throw new DroverError('OPS_META_CONFIG_INVALID', `${file}: not JSON: ${(err as Error).message}`);
  }
  const root = obj(doc, file);
  if (!root) throw new DroverError('OPS_META_CONFIG_INVALID', `${file}: empty configuration`);
  const list = field(root, 'agents');
  if (list !== undefined && list !== null && !Array.isArray(list)) throw new DroverError('OPS_META_CONFIG_INVALID', `${file}: "agents" must be a list`);
  const agents: OpsMetaAgent[] = [];
  (list ?? []).forEach((raw: unknown, i: number) => {
    const where = `${file}: agents[${i}]`;
    const entry = obj(raw, where);
    if (!entry) return;
    const d = obj(field(entry, 'default'), `${where}.default`);
    const othersRaw = field(entry, 'others');
    if (othersRaw !== undefined && othersRaw !== null && !Array.isArray(othersRaw)) throw new DroverError('OPS_META_CONFIG_INVALID', `${where}.others must be a list`);
    const others: OpsMetaAgentOther[] = [];
    (othersRaw ?? []).forEach((o: unknown, j: number) => {
      const ow = `${where}.others[${j}]`;
      const other = obj(o, ow);
      if (!other) return;
      others.push({ prefix: str(other, 'prefix', ow), version: str(other, 'version', ow), tarball: str(other, 'tarball', ow), md5: str(other, 'md5', ow), cmd: str(other, 'cmd', ow) });
    });
    agents.push({
      default: d
        ? { name: str(d, 'name', `${where}.default`), version: str(d, 'version', `${where}.default`), tarball: str(d, 'tarball', `${where}.default`), md5: str(d, 'md5', `${where}.default`), cmd: str(d, 'cmd', `${where}.default`) }
        : null,
      others,
    });
  });
  return { agents };
}

// A faithful reference of ops-meta's answer (open-falcon ops-meta g/parser.go, DesiredAgents):
//
//   for _, inheritConfig := range config.Agents {
//     defaultConfig := inheritConfig.Default
//     if defaultConfig == nil { continue }
//     desiredAgent := {Name, Version, Tarball, Md5, Cmd} from defaultConfig
//     for _, otherConfig := range inheritConfig.Others {
//       if otherConfig == nil { continue }
//       if !strings.HasPrefix(hostname, otherConfig.Prefix) { continue }
//       if otherConfig.Version != "" { desiredAgent.Version = otherConfig.Version }
//       if otherConfig.Tarball != "" { desiredAgent.Tarball = otherConfig.Tarball }
//       if otherConfig.Md5 != ""     { desiredAgent.Md5 = otherConfig.Md5 }
//       if otherConfig.Cmd != ""     { desiredAgent.Cmd = otherConfig.Cmd }
//     }
//     desiredAgents = append(desiredAgents, desiredAgent)
//   }
//
// Written independently of the importer, on the raw JSON, for the comparison tests.
export interface RefAgent {
  name: string;
  version: string;
  tarball: string;
  md5: string;
  cmd: string;
}

type Raw = { agents?: ({ default?: Partial<RefAgent> | null; others?: (Partial<RefAgent & { prefix: string }> | null)[] } | null)[] };

export function opsMetaDesiredAgents(cfg: Raw, hostname: string): RefAgent[] | null {
  let out: RefAgent[] | null = null; // a nil slice marshals as null
  for (const inherit of cfg.agents ?? []) {
    const d = inherit?.default;
    if (!d) continue;
    const a: RefAgent = { name: d.name ?? '', version: d.version ?? '', tarball: d.tarball ?? '', md5: d.md5 ?? '', cmd: d.cmd ?? '' };
    for (const o of inherit!.others ?? []) {
      if (!o) continue;
      if (!hostname.startsWith(o.prefix ?? '')) continue;
      if (o.version) a.version = o.version;
      if (o.tarball) a.tarball = o.tarball;
      if (o.md5) a.md5 = o.md5;
      if (o.cmd) a.cmd = o.cmd;
    }
    (out ??= []).push(a);
  }
  return out;
}

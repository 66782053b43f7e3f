// Defense in depth: names, versions and paths in a desired document become paths on the device
// (<root>/packages/<name>/<version>/<script>). Meta validates the fleet repository, but the agent
// refuses a document that would make it write or run anything outside its folders.
import type { DesiredDocument } from '../specs/wire/desired.js';

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,127}$/;

/** A relative path that stays inside its folder: no absolute path, no `..` segment. */
export function isContainedPath(p: string): boolean {
  if (p === '' || p.startsWith('/') || p.includes('\0') || p.includes('\\')) return false;
  return p.split('/').every((seg) => seg !== '..');
}

function safeSegment(s: string): boolean {
  return SAFE_SEGMENT.test(s) && s !== '.' && s !== '..' && s !== 'current';
}

/** Problems that make the agent refuse the document (and keep the last good one). */
export function checkDesired(doc: DesiredDocument): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const p of doc.packages) {
    const where = `package ${JSON.stringify(p.name)}`;
    if (!safeSegment(p.name)) problems.push(`${where}: unsafe name`);
    if (seen.has(p.name)) problems.push(`${where}: listed twice`);
    seen.add(p.name);
    if (!safeSegment(p.version)) problems.push(`${where}: unsafe version ${JSON.stringify(p.version)}`);
    if (!p.artifact.sha256 && !p.artifact.md5) problems.push(`${where}: artifact without a checksum`);
    if (p.control && !isContainedPath(p.control.script)) problems.push(`${where}: control script ${JSON.stringify(p.control.script)} leaves the package folder`);
    if (p.pidFile !== null && !isContainedPath(p.pidFile)) problems.push(`${where}: pidFile ${JSON.stringify(p.pidFile)} leaves the package folder`);
    const exe = p.run?.command[0];
    if (p.run && (!exe || (exe.includes('/') && !isContainedPath(exe)))) problems.push(`${where}: run command ${JSON.stringify(exe)} leaves the package folder`);
    if (p.keepVersions < 1) problems.push(`${where}: keepVersions must be at least 1`);
  }
  return problems;
}

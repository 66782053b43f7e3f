// What the agent tells meta about the device: os, arch, addresses (so meta and jump know how
// to reach it), the agent's version.
import { hostname, networkInterfaces, release, type as osType } from 'node:os';
import { DROVER_COMMIT, DROVER_VERSION } from '../lib/version.js';
import type { DeviceFacts } from '../specs/wire/heartbeat.js';

/** Non-internal addresses, IPv4 first, at most 64. */
export function deviceAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80:')) v6.push(a.address);
    }
  }
  return [...v4, ...v6].slice(0, 64);
}

export function collectFacts(extra: { sshPort?: number } = {}): DeviceFacts {
  const facts: Record<string, unknown> = {
    os: `${osType()} ${release()}`.slice(0, 64),
    arch: process.arch,
    addresses: deviceAddresses(),
    agentVersion: DROVER_VERSION,
    agentCommit: DROVER_COMMIT,
    hostname: hostname().slice(0, 256),
    node: process.version,
    ...(extra.sshPort ? { sshPort: extra.sshPort } : {}),
  };
  return facts as DeviceFacts;
}

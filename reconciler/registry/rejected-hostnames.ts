// Hostnames of Open-Falcon updaters that cannot be device ids (a slash, a space, 300 characters):
// they are answered, as ops-meta would, but not recorded as devices. Kept here, bounded, so
// /v1/status shows the operator which hosts are left out and why.
const DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const LIMIT = 1000;

export interface RejectedHostname {
  hostname: string;
  reason: string;
  /** The updater's address, as last seen. */
  address: string | null;
  firstSeen: string;
  lastSeen: string;
  heartbeats: number;
}

/** Why a hostname cannot be a device id; null when it can. Pure. */
export function deviceIdProblem(hostname: string): string | null {
  if (DEVICE_ID.test(hostname)) return null;
  if (hostname.length > 128) return `${hostname.length} characters: a device id has at most 128`;
  const bad = [...hostname].find((c, i) => !(i === 0 ? /[A-Za-z0-9]/ : /[A-Za-z0-9._-]/).test(c));
  if (bad === undefined) return 'not a device id';
  const shown = bad === ' ' ? 'a space' : /[\x00-\x1f\x7f]/.test(bad) ? `the control character U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : JSON.stringify(bad);
  return hostname.indexOf(bad) === 0 && /[._-]/.test(bad)
    ? `starts with ${shown}: a device id starts with a letter or a digit`
    : `contains ${shown}: a device id has only letters, digits, ".", "_" and "-"`;
}

export class RejectedHostnames {
  private byName = new Map<string, RejectedHostname>();
  /** Hostnames not kept because the list was full. */
  dropped = 0;

  /** Notes one heartbeat from a hostname that is no device id; true the first time it is seen. */
  note(hostname: string, reason: string, address: string | undefined, now: number): boolean {
    const at = new Date(now).toISOString();
    const known = this.byName.get(hostname);
    if (known) {
      known.lastSeen = at;
      known.heartbeats++;
      known.address = address?.replace(/^::ffff:/, '') ?? null;
      return false;
    }
    if (this.byName.size >= LIMIT) {
      this.dropped++;
      return false;
    }
    this.byName.set(hostname, { hostname: hostname.slice(0, 300), reason, address: address?.replace(/^::ffff:/, '') ?? null, firstSeen: at, lastSeen: at, heartbeats: 1 });
    return true;
  }

  get size(): number {
    return this.byName.size;
  }

  list(): RejectedHostname[] {
    return [...this.byName.values()].map((r) => ({ ...r }));
  }
}

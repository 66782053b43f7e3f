// A legacy updater sends no credential: anyone on a --legacy-allow network may name any hostname.
// So a device that speaks the v1 protocol (it has reported over /v1/heartbeat, or holds a
// per-device token, an enrolled credential or a client certificate) is never reported through
// POST /heartbeat: that would let a legacy host overwrite its state and read its desired document.
import { isLegacyRecord, type DeviceRecord } from '../registry/device-record.js';
import type { DeviceRegistry } from '../registry/device-registry.js';

/** More sources of per-device credentials (enrollment, client certificates) register here. */
export type CredentialLookup = (id: string) => string | null;

export interface V1IdentityOptions {
  registry: DeviceRegistry;
  /** Per-device tokens: SHA-256 → device id (--device-tokens; replaced in place on SIGHUP). */
  deviceTokens: ReadonlyMap<string, string>;
  extra?: CredentialLookup[];
}

/** Returns why `id` may not report through the legacy protocol, or null when it may (`record`: the caller's registry lookup of `id`). */
export function v1IdentityCheck(o: V1IdentityOptions): (id: string, record?: DeviceRecord) => string | null {
  let tokenIds = new Set<string>();
  let builtFrom = -1;
  let builtAt = 0;
  return (id, record = o.registry.get(id)) => {
    const now = Date.now();
    if (o.deviceTokens.size !== builtFrom || now - builtAt > 5_000) {
      tokenIds = new Set(o.deviceTokens.values());
      builtFrom = o.deviceTokens.size;
      builtAt = now;
    }
    if (tokenIds.has(id)) return 'it has a per-device token';
    for (const lookup of o.extra ?? []) {
      const why = lookup(id);
      if (why) return why;
    }
    if (record && !isLegacyRecord(record)) return 'it reports over /v1/heartbeat';
    return null;
  };
}

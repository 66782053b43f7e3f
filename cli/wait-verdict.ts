// Whether `drover wait` is done: every selected device InSync at the target revision. Pure.
import type { DeviceRow } from './list-devices.js';

export interface WaitVerdict {
  done: boolean;
  /** The revision waited for (the one asked, as meta names it once it serves it). */
  target: string | null;
  /** Set while meta does not serve the target yet. */
  metaServes?: string | null;
  /** Selected devices not there yet. */
  notReady: { id: string; condition: string; reason: string; message: string; revision: string | null }[];
  ready: number;
}

/** A revision matches a requested one given in full or as a prefix of at least 7 characters. */
export function sameRevision(served: string | null, wanted: string): boolean {
  if (!served) return false;
  if (served === wanted) return true;
  return wanted.length >= 7 && served.startsWith(wanted);
}

export function waitVerdict(input: { wanted: string | undefined; served: string | null; devices: readonly DeviceRow[] }): WaitVerdict {
  const target = input.wanted === undefined ? input.served : sameRevision(input.served, input.wanted) ? input.served : input.wanted;
  const metaOn = input.wanted === undefined || sameRevision(input.served, input.wanted);
  const notReady: WaitVerdict['notReady'] = [];
  let ready = 0;
  for (const d of input.devices) {
    const there = metaOn && target !== null && d.condition === 'InSync' && d.revision === target;
    if (there) ready++;
    else notReady.push({ id: d.id, condition: d.condition, reason: d.reason, message: d.message ?? '', revision: d.revision });
  }
  return {
    done: metaOn && target !== null && input.devices.length > 0 && notReady.length === 0,
    target,
    ...(metaOn ? {} : { metaServes: input.served }),
    notReady,
    ready,
  };
}

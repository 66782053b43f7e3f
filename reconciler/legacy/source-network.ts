// Legacy updaters send no token: they are let in by the network they connect from.
// Parses a CIDR allow list (IPv4 and IPv6) and checks addresses against it; IPv4-mapped IPv6
// addresses (::ffff:10.0.0.1) count as IPv4. Pure.
import { isIP } from 'node:net';
import { DroverError } from '../../lib/errors.js';

export interface Cidr {
  text: string;
  family: 4 | 6;
  bits: bigint;
  prefix: number;
}

export type AddressMatcher = (address: string | undefined) => boolean;

function toBigInt(address: string): { family: 4 | 6; bits: bigint } | undefined {
  const family = isIP(address);
  if (family === 4) {
    return { family: 4, bits: address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n) };
  }
  if (family !== 6) return undefined;
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = toBigInt(v4[1]!)!.bits;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return { family: 6, bits: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n) };
}

export function parseCidr(text: string): Cidr {
  const [addr, len] = text.trim().split('/') as [string, string | undefined];
  const parsed = toBigInt(addr);
  const max = parsed?.family === 4 ? 32 : 128;
  const prefix = len === undefined ? max : /^\d{1,3}$/.test(len) ? Number(len) : NaN;
  if (!parsed || !(prefix >= 0 && prefix <= max)) {
    throw new DroverError('CONFIG_INVALID', `"${text}" is not a network: write e.g. 10.0.0.0/8, 192.168.1.7 or fd00::/8`);
  }
  const width = BigInt(max);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << (width - BigInt(prefix));
  return { text: text.trim(), family: parsed.family, bits: parsed.bits & mask, prefix };
}

function contains(c: Cidr, family: 4 | 6, bits: bigint): boolean {
  if (c.family !== family) return false;
  const width = BigInt(family === 4 ? 32 : 128);
  const mask = c.prefix === 0 ? 0n : ((1n << BigInt(c.prefix)) - 1n) << (width - BigInt(c.prefix));
  return (bits & mask) === c.bits;
}

/** Answers per address are remembered (a fleet's updaters come from a few addresses): at most this many. */
const MEMO_LIMIT = 4096;

export function addressMatcher(cidrs: string[]): AddressMatcher {
  const nets = cidrs.map(parseCidr);
  const decide = (address: string): boolean => {
    const parsed = toBigInt(address);
    if (!parsed) return false;
    if (nets.some((n) => contains(n, parsed.family, parsed.bits))) return true;
    // ::ffff:a.b.c.d is the IPv4 address a.b.c.d
    if (parsed.family === 6 && parsed.bits >> 32n === 0xffffn) {
      const v4 = parsed.bits & 0xffffffffn;
      return nets.some((n) => contains(n, 4, v4));
    }
    return false;
  };
  const memo = new Map<string, boolean>();
  return (address) => {
    if (!address) return false;
    let allowed = memo.get(address);
    if (allowed === undefined) {
      allowed = decide(address);
      if (memo.size >= MEMO_LIMIT) memo.clear();
      memo.set(address, allowed);
    }
    return allowed;
  };
}

export const DEFAULT_LEGACY_ALLOW = ['127.0.0.0/8', '::1/128'];

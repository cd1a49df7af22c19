import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Clock } from '../../platform/clock.js';

/** Every address a host name resolves to (IPv4 and IPv6); rejects when it resolves to none. */
export type HostLookup = (hostName: string) => Promise<string[]>;

export const systemHostLookup: HostLookup = async (hostName) =>
  (await dnsLookup(hostName, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Resolves the host an API user is bound to (HOSTNAME) and tells whether a client address is
 * one of its addresses. Names are resolved with the system resolver (dns.lookup: /etc/hosts,
 * then DNS), every address counts, and answers are cached for `ttlMs` so the check costs one
 * resolution per host per interval, not one per request. A name that does not resolve binds
 * to nothing: the user is refused (fail closed) until it resolves again.
 */
export interface HostResolver {
  /** The addresses of `hostName`; rejects if it does not resolve (for input checks). */
  resolve(hostName: string): Promise<string[]>;
  /** True when `clientIp` is an address of `hostName`. Never rejects. */
  matches(hostName: string, clientIp: string): Promise<boolean>;
}

export function createHostResolver(deps: { clock: Clock; ttlMs: number; lookup?: HostLookup }): HostResolver {
  const lookup = deps.lookup ?? systemHostLookup;
  const cache = new Map<string, { addresses: string[]; at: number }>();

  async function resolve(hostName: string): Promise<string[]> {
    const name = hostName.trim().toLowerCase();
    if (isIP(name)) return [normaliseAddress(name)];
    const cached = cache.get(name);
    if (cached && deps.clock.now() - cached.at < deps.ttlMs) {
      if (cached.addresses.length === 0) throw new Error(`${hostName} does not resolve`);
      return cached.addresses;
    }
    let addresses: string[];
    try {
      addresses = (await lookup(name)).map(normaliseAddress);
    } catch {
      addresses = [];
    }
    // Bounded: host names come only from user records, but keep the map small regardless.
    if (cache.size > 1000) cache.clear();
    cache.set(name, { addresses, at: deps.clock.now() });
    if (addresses.length === 0) throw new Error(`${hostName} does not resolve`);
    return addresses;
  }

  return {
    resolve,
    async matches(hostName, clientIp) {
      try {
        return (await resolve(hostName)).includes(normaliseAddress(clientIp));
      } catch {
        return false;
      }
    },
  };
}

/** IPv4-mapped IPv6 (::ffff:1.2.3.4) compares as the IPv4 address; IPv6 letter case is ignored. */
export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

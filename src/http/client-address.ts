import { BlockList, isIP } from 'node:net';

/**
 * Which address a request comes from (ADR 021). The TCP peer, unless the peer is a trusted proxy
 * (BULWARK_TRUSTED_PROXIES: addresses and CIDR ranges): then X-Forwarded-For is read from the
 * right, skipping trusted proxies, and the first hop that is not one is the client. Hops left of
 * it are the client's own claims and are never believed. Without trusted proxies the header is
 * ignored, so no client can choose the address it is throttled, audited and host-bound by.
 */
export interface TrustedProxies {
  readonly size: number;
  has(address: string): boolean;
}

/** An IPv4-mapped IPv6 address as its IPv4 one; anything else unchanged. */
export function plainAddress(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && isIP(address.slice(7)) === 4
    ? address.slice(7)
    : address;
}

/** The entries (addresses or CIDR ranges, IPv4 or IPv6); throws an Error naming a bad one. */
export function trustedProxies(entries: readonly string[]): TrustedProxies {
  const list = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    const slash = entry.indexOf('/');
    const address = plainAddress(slash === -1 ? entry : entry.slice(0, slash));
    const family = isIP(address);
    if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (slash === -1) {
      list.addAddress(address, type);
      continue;
    }
    const prefixText = entry.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d+$/.test(prefixText) || prefix > (family === 4 ? 32 : 128)) {
      throw new Error(`"${entry}" has an invalid prefix length`);
    }
    list.addSubnet(address, prefix, type);
  }
  return {
    size: entries.length,
    has(candidate) {
      const address = plainAddress(candidate);
      const family = isIP(address);
      return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

export const NO_TRUSTED_PROXIES: TrustedProxies = { size: 0, has: () => false };

/** The client's address: `peer`, or what trusted proxies say in X-Forwarded-For (see above). */
export function clientAddress(
  peer: string,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): string {
  let client = plainAddress(peer);
  if (trusted.size === 0 || forwardedFor === undefined || !trusted.has(client)) return client;
  const hops = (typeof forwardedFor === 'string' ? [forwardedFor] : forwardedFor)
    .join(',')
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plainAddress(hops[i]!);
    // A hop that is no address was not written by a proxy we trust: stop at the last one that was.
    if (isIP(hop) === 0) break;
    client = hop;
    if (!trusted.has(hop)) break;
  }
  return client;
}

import { describe, expect, it } from 'vitest';
import { clientAddress, NO_TRUSTED_PROXIES, trustedProxies } from './client-address.js';

describe('client address behind trusted proxies (ADR 021)', () => {
  const trusted = trustedProxies(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

  it('parses addresses and CIDR ranges, IPv4 and IPv6, and refuses anything else', () => {
    expect(trusted.has('10.200.3.4')).toBe(true);
    expect(trusted.has('::ffff:10.1.1.1')).toBe(true);
    expect(trusted.has('192.168.1.5')).toBe(true);
    expect(trusted.has('192.168.1.6')).toBe(false);
    expect(trusted.has('fd12::1')).toBe(true);
    expect(trusted.has('2001:db8::1')).toBe(false);
    expect(trusted.has('not an address')).toBe(false);
    expect(() => trustedProxies(['10.0.0.0/33'])).toThrow('"10.0.0.0/33" has an invalid prefix length');
    expect(() => trustedProxies(['proxy.example'])).toThrow('"proxy.example" is not an IP address');
    expect(() => trustedProxies(['10.0.0.0/'])).toThrow(/invalid prefix/);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', () => {
    expect(clientAddress('203.0.113.7', '198.51.100.1', trusted)).toBe('203.0.113.7');
    expect(clientAddress('::ffff:203.0.113.7', '198.51.100.1', trusted)).toBe('203.0.113.7');
    expect(clientAddress('10.0.0.1', '198.51.100.1', NO_TRUSTED_PROXIES)).toBe('10.0.0.1');
  });

  it('from a trusted proxy, takes the rightmost hop that is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.1', '198.51.100.1', trusted)).toBe('198.51.100.1');
    // The client's own claim (left) is not believed; the proxy chain is skipped.
    expect(clientAddress('10.0.0.1', '1.2.3.4, 198.51.100.1, 10.9.9.9', trusted)).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', ['1.2.3.4', '198.51.100.1, 192.168.1.5'], trusted)).toBe('198.51.100.1');
    // Every hop a trusted proxy: the leftmost.
    expect(clientAddress('10.0.0.1', '10.1.1.1, 10.2.2.2', trusted)).toBe('10.1.1.1');
    // No header, or garbage where a proxy's hop should be: the last address a trusted proxy gave.
    expect(clientAddress('10.0.0.1', undefined, trusted)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', 'garbage', trusted)).toBe('10.0.0.1');
    expect(clientAddress('10.0.0.1', '198.51.100.1, junk, 10.2.2.2', trusted)).toBe('10.2.2.2');
  });
});

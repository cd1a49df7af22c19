import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { expandRange, ipv4ToNumber, numberToIpv4, parsePorts, RangeInputError } from './ip-range.js';

describe('range discovery input (endpoint 41)', () => {
  it('expands start..end inclusive times ports, in address order', () => {
    expect(expandRange({ start: '192.168.216.0', end: '192.168.216.3', ports: '443' }, 1024)).toEqual([
      { host: '192.168.216.0', port: 443 },
      { host: '192.168.216.1', port: 443 },
      { host: '192.168.216.2', port: 443 },
      { host: '192.168.216.3', port: 443 },
    ]);
    expect(expandRange({ start: '10.0.0.255', end: '10.0.1.0', ports: '443, 8443,443' }, 1024)).toEqual([
      { host: '10.0.0.255', port: 443 },
      { host: '10.0.0.255', port: 8443 },
      { host: '10.0.1.0', port: 443 },
      { host: '10.0.1.0', port: 8443 },
    ]);
    expect(expandRange({ start: ' 127.0.0.1 ', end: '127.0.0.1', ports: 443 }, 1)).toEqual([
      { host: '127.0.0.1', port: 443 },
    ]);
  });

  it('round-trips the whole IPv4 space edges', () => {
    for (const ip of ['0.0.0.0', '255.255.255.255', '1.2.3.4', '128.0.0.1']) {
      expect(numberToIpv4(ipv4ToNumber(ip, 'x'))).toBe(ip);
    }
    expect(ipv4ToNumber('255.255.255.255', 'x')).toBe(2 ** 32 - 1);
  });

  it('refuses reversed ranges, non-IPv4 and bad ports with clear messages', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(RangeInputError);
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal(() => expandRange({ start: '10.0.0.9', end: '10.0.0.1', ports: '443' }, 1024))).toBe(
      'EndIpAddress 10.0.0.1 comes before StartIpAddress 10.0.0.9: give the lower address first',
    );
    for (const bad of [
      '::1',
      'fe80::1',
      'host.example',
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
      '',
      '10.0.0.1/24',
    ]) {
      expect(refusal(() => expandRange({ start: bad, end: '10.0.0.1', ports: '443' }, 1024))).toBe(
        `StartIpAddress "${bad}" is not an IPv4 address (only IPv4 ranges can be discovered)`,
      );
    }
    expect(refusal(() => expandRange({ start: '10.0.0.1', end: '::2', ports: '443' }, 1024))).toMatch(
      /^EndIpAddress "::2" is not an IPv4 address/,
    );
    for (const bad of ['0', '65536', 'https', '', '443,', '-1', '1e3']) {
      expect(refusal(() => parsePorts(bad))).toBe(
        `PORT "${bad}" must be a port 1-65535 or a comma-separated list of them`,
      );
    }
  });

  it('refuses more targets than the limit before building any', () => {
    expect(expandRange({ start: '10.0.0.0', end: '10.0.3.255', ports: '443' }, 1024)).toHaveLength(1024);
    expect(() => expandRange({ start: '10.0.0.0', end: '10.0.4.0', ports: '443' }, 1024)).toThrow(
      'The range 10.0.0.0 - 10.0.4.0 holds 1025 addresses × 1 port(s) = 1025 targets, more than the 1024 allowed (BULWARK_CERT_DISCOVERY_MAX_HOSTS)',
    );
    expect(() => expandRange({ start: '10.0.0.0', end: '10.0.0.3', ports: '443,8443' }, 7)).toThrow(
      /4 addresses × 2 port\(s\) = 8 targets, more than the 7 allowed/,
    );
    // The whole IPv4 space is refused at once, without expanding it.
    expect(() => expandRange({ start: '0.0.0.0', end: '255.255.255.255', ports: '443' }, 1024)).toThrow(
      /4294967296 addresses/,
    );
  });

  it('reads the limit from BULWARK_CERT_DISCOVERY_MAX_HOSTS (default 1024)', () => {
    expect(loadConfig({}).certDiscoveryMaxHosts).toBe(1024);
    expect(loadConfig({ BULWARK_CERT_DISCOVERY_MAX_HOSTS: '16' }).certDiscoveryMaxHosts).toBe(16);
    expect(() => loadConfig({ BULWARK_CERT_DISCOVERY_MAX_HOSTS: '0' })).toThrow(
      'BULWARK_CERT_DISCOVERY_MAX_HOSTS must be an integer between 1 and 65536, got "0"',
    );
  });
});

import { isIPv4 } from 'node:net';
import { InvalidInputError } from '../../platform/errors.js';

/**
 * The targets of a range discovery (endpoint 41: StartIpAddress, EndIpAddress, PORT): every IPv4
 * address from start to end, inclusive, times every port. IPv4 only, as PMP; a range larger than
 * the configured limit (BULWARK_CERT_DISCOVERY_MAX_HOSTS, ADR 037) is refused before any probe,
 * so one request cannot turn the vault into a scanner of a whole network.
 */

/** Bad range input: an InvalidInputError, so routes and the job answer it as given. */
export class RangeInputError extends InvalidInputError {}

export interface DiscoveryTarget {
  readonly host: string;
  readonly port: number;
}

export interface RangeInput {
  readonly start: string;
  readonly end: string;
  /** `443`, or several: `443,8443`. */
  readonly ports: string | number;
}

/** Dotted-quad IPv4 to its 32-bit value; anything else (names, IPv6, 010.0.0.1) is refused. */
export function ipv4ToNumber(text: string, field: string): number {
  const trimmed = text.trim();
  // isIPv4 accepts only canonical dotted decimal; leading zeros would be octal to some tools.
  if (!isIPv4(trimmed) || trimmed.split('.').some((part) => part.length > 1 && part.startsWith('0'))) {
    throw new RangeInputError(
      `${field} "${text}" is not an IPv4 address (only IPv4 ranges can be discovered)`,
    );
  }
  return trimmed.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

export function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** One port or a comma-separated list, each 1–65535, duplicates dropped, order kept. */
export function parsePorts(raw: string | number): number[] {
  const parts = String(raw)
    .split(',')
    .map((p) => p.trim());
  const ports: number[] = [];
  for (const part of parts) {
    const port = /^\d{1,5}$/.test(part) ? Number(part) : NaN;
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new RangeInputError(
        `PORT "${String(raw)}" must be a port 1-65535 or a comma-separated list of them`,
      );
    }
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** Every host × port of the range, hosts in address order, each host's ports together. */
export function expandRange(input: RangeInput, maxTargets: number): DiscoveryTarget[] {
  const first = ipv4ToNumber(input.start, 'StartIpAddress');
  const last = ipv4ToNumber(input.end, 'EndIpAddress');
  if (last < first) {
    throw new RangeInputError(
      `EndIpAddress ${input.end.trim()} comes before StartIpAddress ${input.start.trim()}: give the lower address first`,
    );
  }
  const ports = parsePorts(input.ports);
  const hosts = last - first + 1;
  const total = hosts * ports.length;
  if (total > maxTargets) {
    throw new RangeInputError(
      `The range ${input.start.trim()} - ${input.end.trim()} holds ${hosts} addresses × ${ports.length} port(s) = ${total} targets, more than the ${maxTargets} allowed (BULWARK_CERT_DISCOVERY_MAX_HOSTS)`,
    );
  }
  const targets: DiscoveryTarget[] = [];
  for (let value = first; value <= last; value++) {
    const host = numberToIpv4(value);
    for (const port of ports) targets.push({ host, port });
  }
  return targets;
}

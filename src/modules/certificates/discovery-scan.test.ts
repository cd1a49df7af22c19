import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blackholeListener,
  certificateFactory,
  echoListener,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../../../test/helpers/tls-listeners.js';
import { scanTargets, type ScanProgress } from './discovery-scan.js';
import { expandRange } from './ip-range.js';

const factory = certificateFactory();
const listeners: Listener[] = [];
let port = 0;
let certA: IssuedCert;
let certB: IssuedCert;

/**
 * 127.0.0.30-37 on one port: .30 and .33 serve TLS, .31 is blackholed (accepts, never
 * answers), .34 is a TCP echo, the rest refuse.
 */
beforeAll(async () => {
  certA = factory.issue({ name: 'a', cn: 'scan-a' });
  certB = factory.issue({ name: 'b', cn: 'scan-b', key: 'ec256' });
  for (let attempt = 0; ; attempt++) {
    const opened: Listener[] = [];
    try {
      opened.push(await tlsListener('127.0.0.30', certA));
      port = opened[0]!.port;
      opened.push(await blackholeListener('127.0.0.31', port));
      opened.push(await tlsListener('127.0.0.33', certB, [], {}, port));
      opened.push(await echoListener('127.0.0.34', port));
      listeners.push(...opened);
      return;
    } catch (err) {
      await Promise.all(opened.map((l) => l.close()));
      if (attempt >= 5) throw err;
    }
  }
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  factory.cleanup();
});

describe('scanTargets', () => {
  it('scans a range: finds the listeners, types the failures, a silent host costs only its timeout', async () => {
    const targets = expandRange({ start: '127.0.0.30', end: '127.0.0.37', ports: String(port) }, 1024);
    const progress: ScanProgress[] = [];
    const began = Date.now();
    const results = await scanTargets(targets, {
      timeoutMs: 800,
      concurrency: 4,
      onProgress: (p) => {
        progress.push(p);
      },
    });
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(790);
    expect(took).toBeLessThan(2500);

    expect(results.map((r) => r.target.host)).toEqual(targets.map((t) => t.host));
    const outcome = results.map((r) => (r.ok ? `found ${r.served.chain.length}` : r.error.kind));
    expect(outcome).toEqual([
      'found 1',
      'timeout',
      'unreachable',
      'found 1',
      'not-tls',
      'unreachable',
      'unreachable',
      'unreachable',
    ]);
    const found = results.filter((r) => r.ok);
    expect(found[0]!.ok && found[0]!.served.chain[0]!.equals(certA.der)).toBe(true);
    expect(found[1]!.ok && found[1]!.served.chain[0]!.equals(certB.der)).toBe(true);

    expect(progress).toHaveLength(8);
    expect(progress.map((p) => p.done)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(progress.every((p) => p.total === 8 && p.found + p.failed === p.done)).toBe(true);
    expect(progress.at(-1)).toEqual({ done: 8, total: 8, found: 2, failed: 6 });
    // The blackholed host finishes last: everything else was not held up by it.
    expect(progress.at(-2)!.found).toBe(2);
  });

  it('never runs more probes at once than the concurrency', async () => {
    const targets = expandRange({ start: '127.0.0.40', end: '127.0.0.59', ports: '443' }, 1024);
    let inFlight = 0;
    let peak = 0;
    const results = await scanTargets(targets, {
      timeoutMs: 1000,
      concurrency: 3,
      probe: async (t) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 10));
        inFlight--;
        throw new Error(`nothing at ${t.host}`);
      },
    });
    expect(peak).toBe(3);
    expect(results).toHaveLength(20);
    expect(results.every((r) => !r.ok && r.error.kind === 'handshake')).toBe(true);
  });

  it('stops starting probes once aborted', async () => {
    const targets = expandRange({ start: '127.0.0.40', end: '127.0.0.49', ports: '443' }, 1024);
    const controller = new AbortController();
    const results = await scanTargets(targets, {
      timeoutMs: 1000,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 3) controller.abort();
      },
      probe: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('refused');
      },
    });
    expect(results.length).toBeGreaterThanOrEqual(3);
    expect(results.length).toBeLessThanOrEqual(4);
  });
});

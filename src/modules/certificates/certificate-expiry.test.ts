import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expiryDaysFrom, loadConfig } from '../../config.js';
import type { CallOrigin } from '../../platform/principal.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';
import { opensslCerts, type OpensslCerts } from '../../../test/helpers/openssl-certs.js';
import { crossed, daysLeft, EXPIRY_JOB } from './certificate-expiry.service.js';

const DAY = 86_400_000;
const stamp = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;

describe('expiry thresholds', () => {
  it('reads BULWARK_CERT_EXPIRY_DAYS: a list or one number, widest first; refuses nonsense', () => {
    expect(expiryDaysFrom(undefined)).toEqual([30, 15, 7]);
    expect(expiryDaysFrom('7, 30,15,30')).toEqual([30, 15, 7]);
    expect(expiryDaysFrom('45')).toEqual([45]);
    for (const bad of ['0', '-1', 'x', '3651', '1,,2', '1.5', Array(11).fill('1').join(',')])
      expect(() => expiryDaysFrom(bad), bad).toThrow(/BULWARK_CERT_EXPIRY_DAYS must be whole numbers/);
    expect(loadConfig({}).certExpiryCheckSeconds).toBe(3600);
    expect(loadConfig({ BULWARK_CERT_EXPIRY_DAYS: '10,2' }).certExpiryDays).toEqual([10, 2]);
  });

  it('a certificate is within a threshold when fewer whole days than it are left', () => {
    const now = Date.UTC(2026, 11, 5);
    expect(daysLeft(now + 29.5 * DAY, now)).toBe(29);
    expect(daysLeft(now - 0.5 * DAY, now)).toBe(-1);
    expect(crossed([30, 15, 7], 29)).toEqual([30]);
    expect(crossed([30, 15, 7], 30)).toEqual([]);
    expect(crossed([7, 30, 15], 6)).toEqual([30, 15, 7]);
    expect(crossed([30, 15, 7], -3)).toEqual([30, 15, 7]);
  });
});

/**
 * The expiry job on SQLite with the clock in hand (ADR 041): certificates made by openssl with
 * short validity, each certificate and threshold recorded and audited once however often the
 * check runs, and concurrently; a later threshold alerts when the clock reaches it.
 */
describe('certificate expiry check', () => {
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  let now = Date.now();
  let opened: InProcessServices;
  let o: OpensslCerts;

  beforeAll(async () => {
    o = opensslCerts();
    opened = await openInProcessServices({ now: () => now }, origin);
    const add = async (name: string, end: number) => {
      const key = o.key(name, 'ec:P-256');
      const file = o.cert(name, {
        key,
        subject: `/CN=${name}.expiry.test`,
        start: stamp(now - 100 * DAY),
        end: stamp(end),
      });
      await opened.services.certificates.add(opened.admin, { certificate: o.file(file) });
    };
    await add('soon', now + 20 * DAY + 3_600_000);
    await add('closer', now + 5 * DAY + 3_600_000);
    await add('expired', now - 2 * DAY - 3_600_000);
    await add('far', now + 90 * DAY);
  }, 60_000);
  afterAll(async () => {
    await opened?.close();
    o?.cleanup();
  });

  const alerts = () =>
    opened.database.db
      .selectFrom('audit_records')
      .select(['operation', 'resource_name', 'reason', 'operator_name'])
      .where('operation', '=', 'Certificate Expiry Alert')
      .orderBy('seq')
      .execute();

  it('records and audits each certificate within a threshold once, naming the tightest', async () => {
    const { services } = opened;
    const run = await services.certificateExpiry.check();
    expect(run.checked).toBe(3);
    expect(
      run.alerted
        .map((a) => [a.commonName, a.thresholds, a.daysLeft])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    ).toEqual([
      ['closer.expiry.test', [30, 15, 7], 5],
      ['expired.expiry.test', [30, 15, 7], -3],
      ['soon.expiry.test', [30], 20],
    ]);
    const audited = await alerts();
    expect(audited).toHaveLength(3);
    const closer = audited.find((a) => a.resource_name?.startsWith('Certificate closer.expiry.test'))!;
    expect(closer.reason).toMatch(
      /^expires in 5 day\(s\), on \S+Z: within the 7-day threshold \(the 30, 15-day threshold\(s\) reached with it\); SHA-256 [0-9A-F:]{95}$/,
    );
    expect(audited.find((a) => a.resource_name?.startsWith('Certificate expired'))!.reason).toMatch(
      /^expired 3 day\(s\) ago/,
    );
    expect(closer.operator_name).toBe('System');

    // Again, and twice at once (as two nodes would): nothing new, nothing audited again.
    const again = await Promise.all([services.certificateExpiry.check(), services.certificateExpiry.check()]);
    expect(again.map((r) => r.alerted)).toEqual([[], []]);
    expect(await alerts()).toHaveLength(3);

    const listed = await services.certificateExpiry.list(opened.admin);
    expect(listed.map((c) => [c.commonName, c.thresholds, c.daysLeft])).toEqual([
      ['expired.expiry.test', [30, 15, 7], -3],
      ['closer.expiry.test', [30, 15, 7], 5],
      ['soon.expiry.test', [30], 20],
    ]);
    expect((await services.certificateExpiry.list(opened.admin, 10)).map((c) => c.commonName)).toEqual([
      'expired.expiry.test',
      'closer.expiry.test',
    ]);
  });

  it('runs as a periodic job; a later threshold alerts when the time comes', async () => {
    const { services } = opened;
    now += 6 * DAY; // soon: 14 days left, within 15
    expect(await services.jobs.runDue()).toBeGreaterThanOrEqual(1);
    const jobs = await services.jobs.list({ kind: EXPIRY_JOB });
    const job = jobs.jobs.find((j) => j.status === 'succeeded')!;
    expect(job.result).toMatchObject({
      alerted: [{ commonName: 'soon.expiry.test', thresholds: [15], daysLeft: 14 }],
    });
    const audited = await alerts();
    expect(audited).toHaveLength(4);
    expect(audited[3]!.reason).toMatch(/^expires in 14 day\(s\), .*: within the 15-day threshold; SHA-256/);
  });
});

/**
 * The certificate expiry job over the real HTTPS API on both dialects (ADR 041): a server
 * checking every second with thresholds 20 and 5 days, certificates made by openssl with short
 * validity, the native endpoint and `bulwark certs expiring` reading what the job recorded, one
 * `Certificate Expiry Alert` per certificate and threshold however many runs (the server's job
 * and the CLI's `--check` at the same time) there are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser, type Actor } from '../helpers/actors.js';
import { details, pmpClient, type PmpAnswer } from '../helpers/client.js';
import { opensslCerts, type OpensslCerts } from '../helpers/openssl-certs.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';
const DAY = 86_400_000;

describe('certificate expiry job', () => {
  let o: OpensslCerts;
  const files: Record<string, string> = {};

  beforeAll(() => {
    o = opensslCerts();
    const now = Date.now();
    for (const [name, days] of [
      ['ten', 10],
      ['three', 3],
      ['sixty', 60],
    ] as const) {
      const key = o.key(name, 'ec:P-256');
      files[name] = o.cert(name, {
        key,
        subject: `/CN=${name}.expiry.test`,
        end: `${new Date(now + days * DAY + 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`,
      });
    }
  });
  afterAll(() => o?.cleanup());

  describe.each(dialects())('on %s', (dialect) => {
    let server: RunningServer;
    let paul: Actor;
    const admin = () => pmpClient(server.baseUrl, server.token);

    beforeAll(async () => {
      server = await startServer(dialect, {
        BULWARK_CERT_EXPIRY_DAYS: '5,20',
        BULWARK_CERT_EXPIRY_CHECK_SECONDS: '1',
      });
      paul = await createApiUser(server, 'paul', 'Password User');
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
      server?.instance.remove();
    });

    const expiring = async (call = admin(), query: Record<string, string> = {}): Promise<PmpAnswer> => {
      const answer = await call(`${V1}/certificates/expiring`, { query });
      expect(answer.http.status, answer.http.text).toBe(200);
      return answer;
    };
    const alerts = () =>
      sqlOn(
        server.instance,
        "select resource_name, reason from audit_records where operation = 'Certificate Expiry Alert' order by seq",
        [],
      );

    it('records certificates within a threshold once, readable over the API and the CLI', async () => {
      for (const name of ['ten', 'three', 'sixty']) {
        const added = await admin()(`${PKI}/addCertificate`, {
          method: 'POST',
          input: details({ certificate: o.file(files[name]!).toString() }),
        });
        expect(JSON.parse(added.http.text).result.status, added.http.text).toBe('Success');
      }
      // The server's periodic job finds them within a few seconds; the CLI checks at the same time.
      const cli = server.instance.cli(
        'certs',
        'expiring',
        '--check',
        '--json',
        '--data-dir',
        server.instance.dataDir,
      );
      let list: Record<string, unknown>[] = [];
      for (let i = 0; i < 40 && list.length < 2; i++) {
        list = ((await expiring()).details ?? []) as Record<string, unknown>[];
        if (list.length < 2) await new Promise((r) => setTimeout(r, 250));
      }
      expect((await cli).code, (await cli).stderr).toBe(0);
      expect(list.map((c) => [c.COMMONNAME, c.THRESHOLDS, c.DAYSLEFT])).toEqual([
        ['three.expiry.test', [20, 5], 3],
        ['ten.expiry.test', [20], 10],
      ]);
      expect(list[0]).toMatchObject({
        SERIALNUMBER: expect.any(String),
        SHA256FINGERPRINT: expect.stringMatching(/^[0-9A-F:]{95}$/),
        EXPIRYDATE: expect.any(String),
        LASTALERTTIME: expect.any(String),
      });
      expect(((await expiring(admin(), { DAYS: '5' })).details as unknown[]).length).toBe(1);

      // Several more runs (one a second) and another CLI check: still one alert per certificate.
      await new Promise((r) => setTimeout(r, 2500));
      const again = await server.instance.cli(
        'certs',
        'expiring',
        '--check',
        '--data-dir',
        server.instance.dataDir,
      );
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^Checked 2 certificate\(s\); 0 newly alerted\n/);
      expect(again.stdout).toMatch(/three\.expiry\.test\t\S+\t\d{4}-\d\d-\d\d\t3 day\(s\)\tthresholds 20,5/);
      const audited = await alerts();
      expect(audited.map((a) => String(a.resource_name).replace(/ \(serial.*$/, ''))).toEqual(
        expect.arrayContaining(['Certificate three.expiry.test', 'Certificate ten.expiry.test']),
      );
      expect(audited).toHaveLength(2);
      expect(audited.find((a) => String(a.resource_name).includes('three'))!.reason).toMatch(
        /^expires in 3 day\(s\), .*: within the 5-day threshold \(the 20-day threshold\(s\) reached with it\)/,
      );
      const recorded = await sqlOn(
        server.instance,
        'select count(*) as n from certificate_expiry_alerts',
        [],
      );
      expect(Number(recorded[0]!.n)).toBe(3);

      const json = JSON.parse(
        (
          await server.instance.cli(
            'certs',
            'expiring',
            '--json',
            '--within',
            '5',
            '--data-dir',
            server.instance.dataDir,
          )
        ).stdout,
      ) as { commonName: string; thresholds: number[] }[];
      expect(json.map((c) => [c.commonName, c.thresholds])).toEqual([['three.expiry.test', [20, 5]]]);
    });

    it('shows each caller only the certificates they may see; bad input answers Failed', async () => {
      const theirs = await expiring(paul.call);
      expect(theirs.details ?? []).toEqual([]);
      expect(theirs.status).toBe('Success');
      const bad = await admin()(`${V1}/certificates/expiring`, { query: { DAYS: 'soon' } });
      expect(bad.status).toBe('Failed');
      expect(bad.message).toMatch(/DAYS must be a whole number/);
    });
  });
});

/**
 * Issue 11, hole 6: after 20 wrong tokens from one address every token from it was refused for
 * five minutes, so behind a shared proxy or NAT one script locked everyone out. Now (ADR 021)
 * failures slow the address's answers, a token failing again and again is locked out from that
 * address, and a valid token is never refused for someone else's failures. X-Forwarded-For is
 * believed only from a trusted proxy (BULWARK_TRUSTED_PROXIES).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePmp, pmpClient, rawRequest, type PmpAnswer } from '../helpers/client.js';
import { expectFailed, expectSuccess } from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const PROXY = '127.0.0.7';
const UNKNOWN_KEY = 'API key received is not associated to any user. Authentication failed.';
const LOCKED_OUT =
  /^Too many failed authentication attempts with this credential from this address; try again in \d+ seconds\. Authentication failed\.$/;

describe.each(dialects())('throttling of wrong tokens on %s', (dialect) => {
  let server: RunningServer;

  /** GET /resources with `token`, connecting from `from`, optionally with an X-Forwarded-For. */
  const resources = async (token: string, from: string, forwardedFor?: string): Promise<PmpAnswer> =>
    parsePmp(
      await rawRequest(server.baseUrl, {
        path: `${V1}/resources`,
        headers: {
          AUTHTOKEN: token,
          ...(forwardedFor === undefined ? {} : { 'X-Forwarded-For': forwardedFor }),
        },
        localAddress: from,
      }),
    );
  const failuresFrom = async (address: string) =>
    (
      await sqlOn(
        server.instance,
        'SELECT reason FROM audit_records WHERE operation = $1 AND client_ip = $2 ORDER BY seq',
        ['Authentication Failed', address],
      )
    ).map((r) => r.reason as string);

  beforeAll(async () => {
    // The product's limit (20) and lockout; a short delay step keeps the test quick.
    server = await startServer(dialect, {
      BULWARK_AUTH_FAILURE_DELAY_MS: '5',
      BULWARK_TRUSTED_PROXIES: `${PROXY}, 10.0.0.0/8`,
    });
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('25 wrong tokens from an address, then a valid token from the same address succeeds (hole 6)', async () => {
    const from = '127.0.0.3';
    const wrong = 'DEADBEEF-0000-4000-8000-00000000BAD0';
    const answers: PmpAnswer[] = [];
    for (let i = 0; i < 25; i++) answers.push(await resources(wrong, from));
    // The same wrong key: refused as unknown 20 times, then locked out from this address.
    expect(answers.slice(0, 20).map((a) => a.message)).toEqual(Array(20).fill(UNKNOWN_KEY));
    for (const locked of answers.slice(20)) {
      expectFailed(locked, LOCKED_OUT);
      expect(locked.name).toBe('Authentication');
    }
    // Other wrong keys too, one each: all refused as what they are.
    for (let i = 0; i < 25; i++) {
      expectFailed(
        await resources(`DEADBEEF-0000-4000-8000-${String(i).padStart(12, '0')}`, from),
        UNKNOWN_KEY,
      );
    }

    // A valid key from the same address is served at once.
    const started = Date.now();
    expectSuccess(await resources(server.token, from));
    expect(Date.now() - started).toBeLessThan(2000);
    // The locked key is still locked there, and only there.
    expectFailed(await resources(wrong, from), LOCKED_OUT);
    expectFailed(await resources(wrong, '127.0.0.4'), UNKNOWN_KEY);

    // Audited: every failure judged (45), the lockout noted once; refusals while locked are not.
    const reasons = await failuresFrom(from);
    expect(reasons).toHaveLength(45);
    expect(reasons.filter((r) => /locked out from this address/.test(r))).toEqual([
      'unknown API key; locked out from this address for 300 seconds',
    ]);
  });

  it('X-Forwarded-For is ignored from a peer that is not a trusted proxy', async () => {
    const from = '127.0.0.8';
    const wrong = 'DEADBEEF-0000-4000-8000-0000000000F1';
    // A client cannot escape its lockout, or choose its audited address, by naming another one.
    for (let i = 0; i < 20; i++) {
      expectFailed(await resources(wrong, from, `203.0.113.${i + 1}`), UNKNOWN_KEY);
    }
    expectFailed(await resources(wrong, from, '203.0.113.99'), LOCKED_OUT);
    expect(await failuresFrom(from)).toHaveLength(20);
    expect(await failuresFrom('203.0.113.1')).toEqual([]);
    expectSuccess(await resources(server.token, from, '203.0.113.1'));
  });

  it('X-Forwarded-For from a trusted proxy names the client: audited, throttled and locked by it', async () => {
    const wrong = 'DEADBEEF-0000-4000-8000-0000000000F2';
    // The client's own claim (left) is not believed; the rightmost hop not a trusted proxy is.
    for (let i = 0; i < 20; i++) {
      expectFailed(await resources(wrong, PROXY, `1.2.3.4, 198.51.100.7, 10.1.2.3`), UNKNOWN_KEY);
    }
    expect(await failuresFrom('198.51.100.7')).toHaveLength(20);
    expect(await failuresFrom(PROXY)).toEqual([]);
    expect(await failuresFrom('1.2.3.4')).toEqual([]);
    // Locked out for that client only: the same key forwarded for another client is judged anew,
    // and the proxy's other clients (valid keys) are served.
    expectFailed(await resources(wrong, PROXY, '198.51.100.7'), LOCKED_OUT);
    expectFailed(await resources(wrong, PROXY, '198.51.100.8'), UNKNOWN_KEY);
    expectSuccess(await resources(server.token, PROXY, '198.51.100.7'));

    // Successful requests are audited with the forwarded address too.
    const admin = pmpClient(server.baseUrl, server.token);
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: {
          operation: {
            Details: { RESOURCENAME: 'via-proxy', RESOURCETYPE: 'Linux', ACCOUNTNAME: 'root', PASSWORD: 'x' },
          },
        },
      }),
    );
    const read = parsePmp(
      await rawRequest(server.baseUrl, {
        path: `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`,
        headers: { AUTHTOKEN: server.token, 'X-Forwarded-For': '198.51.100.9' },
        localAddress: PROXY,
      }),
    );
    expectSuccess(read);
    const rows = await sqlOn(
      server.instance,
      'SELECT client_ip FROM audit_records WHERE operation = $1 AND resource_name = $2',
      ['Password Retrieved', 'via-proxy'],
    );
    expect(rows).toEqual([{ client_ip: '198.51.100.9' }]);
  });
});

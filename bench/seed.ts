/**
 * Seeding a bench vault through the PMP API, as a client would: resources of ACCOUNTS_PER_RESOURCE
 * accounts (the resource with its first account, then the rest in one bulk ACCOUNTLIST add),
 * IN_FLIGHT resources at a time over keep-alive connections.
 */
import { Pool } from 'undici';

export const ACCOUNTS_PER_RESOURCE = 1000;
const IN_FLIGHT = Number(process.env.BENCH_SEED_IN_FLIGHT ?? 4);

/** A PMP API client on one keep-alive pool; every answer must be a success. */
export function pmpClient(port: number, token: string) {
  const pool = new Pool(`https://127.0.0.1:${port}`, {
    connections: IN_FLIGHT,
    connect: { rejectUnauthorized: false },
    bodyTimeout: 600_000,
    headersTimeout: 600_000,
  });
  return {
    async call(method: 'GET' | 'POST' | 'PUT', urlPath: string, input?: unknown): Promise<any> {
      const res = await pool.request({
        method,
        path: urlPath,
        headers: { AUTHTOKEN: token, 'content-type': 'application/x-www-form-urlencoded' },
        body: input === undefined ? null : `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`,
      });
      const text = await res.body.text();
      const answer = JSON.parse(text);
      if (res.statusCode !== 200 || answer.operation?.result?.status !== 'Success')
        throw new Error(`${method} ${urlPath}: HTTP ${res.statusCode} ${text.slice(0, 300)}`);
      return answer.operation;
    },
    /** The raw body of a GET, for the baseline's same-size answer. */
    async raw(urlPath: string): Promise<string> {
      const res = await pool.request({ method: 'GET', path: urlPath, headers: { AUTHTOKEN: token } });
      return res.body.text();
    },
    close: () => pool.close(),
  };
}
export type PmpClient = ReturnType<typeof pmpClient>;

/** Runs `job(i)` for i in [0, count), `IN_FLIGHT` at a time. */
async function inParallel(count: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, worker));
}

export interface Seeded {
  /** The password path of every account, resource by resource. */
  readonly paths: string[];
  readonly resourceIds: string[];
  readonly seconds: number;
}

/** Seeds `accounts` accounts; prints progress every 100 resources. */
export async function seed(api: PmpClient, accounts: number): Promise<Seeded> {
  const started = performance.now();
  const resources = Math.ceil(accounts / ACCOUNTS_PER_RESOURCE);
  const perResource: string[][] = [];
  const resourceIds: string[] = [];
  let done = 0;
  await inParallel(resources, async (r) => {
    const created = await api.call('POST', '/restapi/json/v1/resources', {
      operation: {
        Details: {
          RESOURCENAME: `bench-${r}`,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'acct-0',
          PASSWORD: `pw-${r}-n0-Xy9!`,
        },
      },
    });
    const resourceId = String(created.Details.RESOURCEID);
    const base = `/restapi/json/v1/resources/${resourceId}/accounts`;
    const paths = [`${base}/${created.Details.ACCOUNTID}/password`];
    const count = Math.min(ACCOUNTS_PER_RESOURCE, accounts - r * ACCOUNTS_PER_RESOURCE) - 1;
    if (count > 0) {
      const list = Array.from({ length: count }, (_, i) => ({
        ACCOUNTNAME: `acct-${i + 1}`,
        PASSWORD: `pw-${r}-n${i + 1}-Xy9!`,
      }));
      const added = await api.call('POST', base, { operation: { Details: { ACCOUNTLIST: list } } });
      for (const outcome of Object.values(added.Details[0] as Record<string, { ACCOUNTID: string }>))
        paths.push(`${base}/${outcome.ACCOUNTID}/password`);
    }
    perResource[r] = paths;
    resourceIds[r] = resourceId;
    if (++done % 100 === 0) console.log(`  ${done} of ${resources} resources`);
  });
  return {
    paths: perResource.flat(),
    resourceIds,
    seconds: (performance.now() - started) / 1000,
  };
}

/** A Password User (API user) with a view share on every resource: its token. */
export async function sharedUser(api: PmpClient, resourceIds: string[]): Promise<string> {
  const user = await api.call('POST', '/restapi/json/v1/user', {
    operation: { Details: { USERNAME: 'bench-user', ROLE: 'Password User', ISAPIUSER: 'true' } },
  });
  await inParallel(resourceIds.length, async (i) => {
    await api.call('PUT', `/restapi/json/v1/resources/${resourceIds[i]}/share`, {
      operation: { Details: { USERID: user.Details.USERID, ACCESSTYPE: 'view' } },
    });
  });
  return String(user.Details.AUTHTOKEN);
}

/** Random accounts in a fixed order (a fixed LCG), the same for every row of a run. */
export function requestOrder(paths: string[]): string[] {
  const length = Math.min(262_144, Math.max(65_536, paths.length));
  let state = 42;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return paths[state % paths.length]!;
  });
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectFailed as failed, expectSuccess as ok } from '../helpers/expect-pmp.js';
import {
  createInstance,
  dialects,
  postgresAvailable,
  serve,
  startServer,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';
import { until as waitUntil } from '../helpers/wait.js';

/**
 * Endpoints 88 (agent key) and 89 (HA status) over a real port (ADR 013); for 89 also two
 * server processes on one PostgreSQL database, the primary stopped and killed.
 */
const V1 = '/restapi/json/v1';
const AGENT_KEY = `${V1}/agents/agentkey`;
const HA = `${V1}/server/getHighAvailabilityStatus`;
/** Small intervals so takeovers happen within a test; generous polling, no timing assertions. */
const FAST_CLUSTER = { BULWARK_HEARTBEAT_SECONDS: '0.3', BULWARK_LEASE_SECONDS: '1.5' };

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) =>
  waitUntil(what, probe, ms, { tolerateErrors: true });

describe.each(dialects())('agent key and HA status on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let user: ReturnType<typeof pmpClient>;

  beforeAll(async () => {
    server = await startServer(dialect, FAST_CLUSTER);
    admin = pmpClient(server.baseUrl, server.token);
    user = (await createApiUser(server, 'paula', 'Password Administrator')).call;
  });
  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  const fetchKey = (call = admin) => call(AGENT_KEY, { method: 'POST' });
  const generate = (fields: Record<string, unknown>, call = admin) =>
    call(AGENT_KEY, {
      method: 'POST',
      input: { operation: { details: { generateAgentKey: 'true', ...fields } } },
    });

  it('answers that no key exists before one is generated', async () => {
    const answer = ok(await fetchKey());
    expect(answer.name).toBe('Fetch Agent Key');
    expect(answer.details).toEqual({ agentKeyExists: 'false' });
  });

  it('generates a key shown once, then answers only that it exists and until when', async () => {
    const generated = ok(await generate({ validityPeriod: 3 }));
    expect(generated.message).toBe('Fetched Agent Key successfully.');
    expect(generated.statusCode).toBe(20000);
    const key = generated.details.agentKey as string;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(generated.details.agentKeyEndTime).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
    expect(generated.details.singleUse).toBe('false');

    const fetched = ok(await fetchKey());
    expect(fetched.details.agentKeyExists).toBe('true');
    expect(fetched.details.agentKeyEndTime).toBe(generated.details.agentKeyEndTime);
    expect(fetched.http.text).not.toContain(key);

    // Stored only as a hash: the key appears nowhere in the audit trail or the server's output.
    const audit = ok(await admin(`${V1}/audit`, { query: { AUDITTYPE: 'User', LIMIT: '100' } }));
    expect(audit.details.map((r: any) => r.OPERATIONTYPE)).toContain('Agent Key Generated');
    expect(audit.http.text).not.toContain(key);
    expect(server.output()).not.toContain(key);

    // A new key replaces it; the string form of validityPeriod is read too.
    const next = ok(await generate({ validityPeriod: '1' }));
    expect(next.details.agentKey).not.toBe(key);
  });

  it('generates a single-use key without validityPeriod', async () => {
    const generated = ok(await generate({}));
    expect(generated.details.singleUse).toBe('true');
    expect(generated.details.agentKeyEndTime).toMatch(/^\d\d\/\d\d\/\d{4}/);
    expect(ok(await fetchKey()).details.singleUse).toBe('true');
  });

  it('refuses a wrong validityPeriod and changes nothing', async () => {
    const before = ok(await fetchKey()).details;
    for (const bad of [-1, 0, '-5', 'abc', '2.5', 1.5, 10_000, '99999999999999999999', true, { hours: 3 }]) {
      failed(await generate({ validityPeriod: bad }), /validityPeriod/);
    }
    failed(
      await admin(AGENT_KEY, { method: 'POST', input: details({ validityPeriod: 3 }) }),
      /validityPeriod is read only together with/,
    );
    failed(
      await admin(AGENT_KEY, { method: 'POST', input: details({ generateAgentKey: 'maybe' }) }),
      /generateAgentKey must be "true" or "false"/,
    );
    expect(ok(await fetchKey()).details).toEqual(before);
  });

  it('refuses callers who are not administrators, for both endpoints, and changes nothing', async () => {
    const before = ok(await fetchKey()).details;
    failed(await fetchKey(user), /Only administrators/);
    const refused = failed(await generate({ validityPeriod: 2 }, user), /Only administrators/);
    expect(refused.details).toBeUndefined();
    expect(ok(await fetchKey()).details).toEqual(before);
    failed(await user(HA), /Only administrators/);
    failed(await pmpClient(server.baseUrl, 'not-a-token')(HA), /Authentication failed/);
  });

  it('reports a single node', async () => {
    const answer = ok(await admin(HA));
    expect(answer.name).toBe('Get HA Status');
    expect(answer.message).toBe('HA Status fetched successfully');
    const d = answer.details;
    expect(d.haStatus).toBe('disabled');
    expect(d.isPrimaryServer).toBe('true');
    expect(d.primaryServer).toBe(d.thisServer);
    expect(d.primaryServer).toMatch(new RegExp(`:${server.port}$`));
    expect(d.primaryServerStatus).toBe('active');
    expect(d.secondaryServer).toBe('N/A');
    expect(d.secondaryServerStatus).toBe('N/A');
    expect(d.database).toBe(dialect);
    expect(d.description).toMatch(/Single node/);
    expect(d.servers).toHaveLength(1);
  });
});

describe.runIf(postgresAvailable())('two servers on one PostgreSQL database', () => {
  let instance: Instance;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    instance = await createInstance('postgres', FAST_CLUSTER);
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    instance?.remove();
  });

  const status = async (server: RunningServer) =>
    ok(await pmpClient(server.baseUrl, server.token)(HA)).details;
  const nameOf = (server: RunningServer) => `:${server.port}`;

  it('lists both nodes and one primary; when the primary stops or dies another takes over', async () => {
    const first = await serve(instance);
    servers.push(first);
    const second = await serve(instance);
    servers.push(second);

    const both = await until('both nodes active', async () => {
      const d = await status(second);
      return d.haStatus === 'active' ? d : undefined;
    });
    // The first node took the lease when it started; the second could not.
    expect(both.primaryServer).toMatch(new RegExp(`${nameOf(first)}$`));
    expect(both.isPrimaryServer).toBe('false');
    expect(both.secondaryServer).toMatch(new RegExp(`${nameOf(second)}$`));
    expect(both.secondaryServerStatus).toBe('active');
    expect(both.servers).toHaveLength(2);
    expect(both.servers.filter((s: any) => s.isPrimaryServer === 'true')).toHaveLength(1);
    const fromFirst = await status(first);
    expect(fromFirst.isPrimaryServer).toBe('true');
    expect(fromFirst.primaryServer).toBe(both.primaryServer);

    // A clean stop releases the lease and marks the node stopped.
    await first.stop();
    const afterStop = await until('the second node to take the lease', async () => {
      const d = await status(second);
      return d.isPrimaryServer === 'true' ? d : undefined;
    });
    expect(afterStop.primaryServer).toMatch(new RegExp(`${nameOf(second)}$`));
    expect(afterStop.primaryServerStatus).toBe('active');
    expect(afterStop.secondaryServer).toMatch(new RegExp(`${nameOf(first)}$`));
    expect(afterStop.secondaryServerStatus).toBe('down');
    expect(afterStop.haStatus).toBe('degraded');
    const stopped = afterStop.servers.find((s: any) => s.port === String(first.port));
    expect(stopped.stoppedAt).not.toBe('N/A');

    // A third node joins as a secondary; then the primary dies without a word (SIGKILL): its
    // heartbeat goes stale, its lease expires, and the third node takes over.
    const third = await serve(instance);
    servers.push(third);
    await until('the third node active', async () => {
      const d = await status(third);
      return d.haStatus === 'active' && d.isPrimaryServer === 'false' ? d : undefined;
    });
    await second.kill();
    const afterKill = await until('the third node to take the expired lease', async () => {
      const d = await status(third);
      return d.isPrimaryServer === 'true' ? d : undefined;
    });
    expect(afterKill.primaryServer).toMatch(new RegExp(`${nameOf(third)}$`));
    const dead = afterKill.servers.find((s: any) => s.port === String(second.port));
    expect(dead.status).toBe('down');
    expect(dead.stoppedAt).toBe('N/A');
    expect(afterKill.servers.filter((s: any) => s.status === 'active')).toHaveLength(1);
  });
});

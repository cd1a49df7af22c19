import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient, rawRequest } from '../helpers/client.js';
import { relayTo, type TcpRelay } from '../helpers/tcp-relay.js';
import { createInstance, dialects, postgresAvailable, serve, type RunningServer } from '../helpers/server.js';
import { until as waitUntil } from '../helpers/wait.js';

/**
 * The operator's endpoints (issue 17, ADR 047): /healthz and /readyz without a token and with
 * nothing secret in them, /metrics in Prometheus text for an administrator's token only (or for
 * anyone when BULWARK_METRICS_PUBLIC=true), counting what the server really did.
 */

const V1 = '/restapi/json/v1';
const PASSWORD = 'Metrics-Marker-Secret-7f3a';
const RESOURCE = 'metrics-marker-resource';

/** One sample's value from Prometheus text: the line whose name and labels match exactly. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const present = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => present[k] === v)) return Number(m[3]);
  }
  return undefined;
}

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000) =>
  waitUntil(what, probe, ms);

describe.each(dialects())('health, readiness and metrics on %s', (dialect) => {
  let server: RunningServer;
  let ids: { resourceId: string; accountId: string };
  const metricsOf = async (token?: string) =>
    rawRequest(server.baseUrl, { path: '/metrics', headers: token ? { AUTHTOKEN: token } : {} });

  beforeAll(async () => {
    const instance = await createInstance(dialect, {
      BULWARK_AUTH_FAILURE_LIMIT: '3',
      BULWARK_AUTH_FAILURE_DELAY_MS: '0',
      // The expiry check runs at start and then often: a job run to count.
      BULWARK_CERT_EXPIRY_CHECK_SECONDS: '1',
    });
    server = await serve(instance);
    const call = pmpClient(server.baseUrl, server.token);
    const created = await call(`${V1}/resources`, {
      method: 'POST',
      input: details({ RESOURCENAME: RESOURCE, RESOURCETYPE: 'Linux', ACCOUNTNAME: 'root', PASSWORD }),
    });
    expect(created.status, created.message).toBe('Success');
    ids = { resourceId: created.details.RESOURCEID, accountId: created.details.ACCOUNTID };
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('answers /healthz and /readyz without a token, naming each check', async () => {
    const health = await rawRequest(server.baseUrl, { path: '/healthz' });
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toEqual({ status: 'ok' });
    expect(health.headers['cache-control']).toBe('no-store');

    const ready = await rawRequest(server.baseUrl, { path: '/readyz' });
    expect(ready.status, ready.text).toBe(200);
    expect(JSON.parse(ready.text)).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, keys: { ok: true }, serving: { ok: true } },
    });
  });

  it('refuses /metrics without a token, with a wrong one, and to a user who is not an administrator', async () => {
    expect((await metricsOf()).status).toBe(401);
    const wrong = await metricsOf('not-a-token');
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).status).toBe('Failed');
    const bearer = await rawRequest(server.baseUrl, {
      path: '/metrics',
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.text).toContain('bulwark_http_requests_total');
    const user = await createApiUser(server, `metrics-user-${dialect}`, 'Password User');
    const refused = await metricsOf(user.token);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toMatch(/bulwark_/);
  });

  it('counts requests by route and result, releases, audit batches and authentication failures', async () => {
    const call = pmpClient(server.baseUrl, server.token);
    const path = `${V1}/resources/${ids.resourceId}/accounts/${ids.accountId}/password`;
    for (let i = 0; i < 3; i++) expect((await call(path)).details.PASSWORD).toBe(PASSWORD);
    const missing = await call(`${V1}/resources/${ids.resourceId}/accounts/999999/password`);
    expect(missing.status).toBe('Failed');

    const answer = await metricsOf(server.token);
    expect(answer.status, answer.text.slice(0, 300)).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.text;
    const route = '/restapi/json/v1/resources/:resourceId/accounts/:accountId/password';
    // The route is its pattern: no id, no name in a label.
    expect(sample(text, 'bulwark_http_requests_total', { method: 'GET', route, result: 'success' })).toBe(3);
    expect(sample(text, 'bulwark_http_requests_total', { method: 'GET', route, result: 'failed' })).toBe(1);
    expect(sample(text, 'bulwark_secret_releases_total', { kind: 'password' })).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'bulwark_audit_batch_records_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'bulwark_audit_commit_seconds_count')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'bulwark_audit_commit_failures_total')).toBe(0);
    expect(sample(text, 'bulwark_http_request_duration_seconds_count', { method: 'GET' })).toBeGreaterThan(0);
    expect(sample(text, 'bulwark_auth_failures_total')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'bulwark_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'bulwark_certificates_expiring', { within_days: '0' })).toBe(0);
    if (dialect === 'postgres') {
      expect(sample(text, 'bulwark_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    } else {
      expect(text).not.toContain('bulwark_db_pool_connections');
    }
    // Counts and timings only: no secret, no token, no resource name.
    for (const secret of [PASSWORD, server.token, RESOURCE]) expect(text).not.toContain(secret);
  });

  it('counts a lockout once a credential failed the limit from an address', async () => {
    const before = sample((await metricsOf(server.token)).text, 'bulwark_auth_lockouts_total') ?? 0;
    for (let i = 0; i < 3; i++) expect((await metricsOf('lockout-probe-token')).status).toBe(401);
    const locked = await metricsOf('lockout-probe-token');
    expect(locked.status).toBe(401);
    expect(JSON.parse(locked.text).message).toMatch(/Too many failed authentication attempts/);
    expect(sample((await metricsOf(server.token)).text, 'bulwark_auth_lockouts_total')).toBe(before + 1);
  });

  it('counts job runs by kind and outcome', async () => {
    const runs = await until('a job run in the metrics', async () => {
      const text = (await metricsOf(server.token)).text;
      return text
        .split('\n')
        .find((l) => l.startsWith('bulwark_job_runs_total{') && /outcome="succeeded"/.test(l));
    });
    expect(runs).toMatch(/kind="[\w.-]+"/);
  });

  it('echoes the request id a load balancer gave, and names every answer', async () => {
    const given = await rawRequest(server.baseUrl, {
      path: '/healthz',
      headers: { 'x-request-id': 'haproxy-0A1B2C' },
    });
    expect(given.headers['x-request-id']).toBe('haproxy-0A1B2C');
    const odd = await rawRequest(server.baseUrl, { path: '/healthz', headers: { 'x-request-id': 'a b"c' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
  });
});

describe.each(dialects())('public metrics on %s', (dialect) => {
  it('answers /metrics without a token when BULWARK_METRICS_PUBLIC=true', async () => {
    const instance = await createInstance(dialect);
    const server = await serve(instance, { BULWARK_METRICS_PUBLIC: 'true' });
    try {
      const open = await rawRequest(server.baseUrl, { path: '/metrics' });
      expect(open.status).toBe(200);
      expect(open.text).toContain('bulwark_http_requests_total');
    } finally {
      await server.stop();
      instance.remove();
    }
  });
});

describe.runIf(postgresAvailable())('readiness when PostgreSQL goes away', () => {
  let relay: TcpRelay;
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
    await relay?.close();
  });

  it('answers 503 naming the database check, without the URL, while /healthz still answers', async () => {
    const instance = await createInstance('postgres');
    const url = new URL(instance.databaseUrl!);
    relay = await relayTo(Number(url.port));
    const viaRelay = new URL(url);
    viaRelay.port = String(relay.port);
    server = await serve(instance, { BULWARK_DATABASE_URL: viaRelay.toString() });
    expect((await rawRequest(server.baseUrl, { path: '/readyz' })).status).toBe(200);

    relay.state.allow = 0;
    await relay.close();
    const down = await until('/readyz to answer 503', async () => {
      const answer = await rawRequest(server!.baseUrl, { path: '/readyz' });
      return answer.status === 503 ? answer : undefined;
    });
    const report = JSON.parse(down.text);
    expect(report.status).toBe('not ready');
    expect(report.checks.database.ok).toBe(false);
    expect(report.checks.keys.ok).toBe(true);
    expect(down.text).not.toContain(url.hostname === '127.0.0.1' ? String(relay.port) : url.hostname);
    expect(down.text).not.toMatch(/postgres(ql)?:\/\//);
    // The process itself is alive.
    expect((await rawRequest(server.baseUrl, { path: '/healthz' })).status).toBe(200);
  });
});

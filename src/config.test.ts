import { describe, expect, it } from 'vitest';
import { clusterFrom, ConfigError, loadConfig, rotationFrom } from './config.js';

describe('ticket system configuration', () => {
  it('defaults to none', () => {
    expect(loadConfig({}).ticketing).toEqual({ kind: 'none', http: undefined });
  });

  it('reads the http settings with their defaults', () => {
    const { ticketing } = loadConfig({
      BULWARK_TICKET_SYSTEM: 'HTTP',
      BULWARK_TICKET_URL: 'https://itsm.example/api/{ticketId}?u={user}',
      BULWARK_TICKET_ASSIGNEE_PATH: '$.fields.assignee',
      BULWARK_TICKET_OPEN_VALUES: 'open, In Progress',
    });
    expect(ticketing).toEqual({
      kind: 'http',
      http: {
        urlTemplate: 'https://itsm.example/api/{ticketId}?u={user}',
        method: 'GET',
        timeoutMs: 5000,
        statusPath: '$.status',
        openValues: ['open', 'In Progress'],
        assigneePath: '$.fields.assignee',
        authorization: undefined,
      },
    });
  });

  it.each([
    [{ BULWARK_TICKET_SYSTEM: 'jira' }, 'BULWARK_TICKET_SYSTEM must be none, any or http'],
    [{ BULWARK_TICKET_SYSTEM: 'http' }, 'BULWARK_TICKET_URL must be'],
    [
      { BULWARK_TICKET_SYSTEM: 'http', BULWARK_TICKET_URL: 'https://x/no-placeholder' },
      'BULWARK_TICKET_URL must be',
    ],
    [
      { BULWARK_TICKET_SYSTEM: 'http', BULWARK_TICKET_URL: 'ftp://x/{ticketId}' },
      'BULWARK_TICKET_URL must be',
    ],
    [
      {
        BULWARK_TICKET_SYSTEM: 'http',
        BULWARK_TICKET_URL: 'http://x/{ticketId}',
        BULWARK_TICKET_METHOD: 'DELETE',
      },
      'BULWARK_TICKET_METHOD must be GET or POST',
    ],
    [
      {
        BULWARK_TICKET_SYSTEM: 'http',
        BULWARK_TICKET_URL: 'http://x/{ticketId}',
        BULWARK_TICKET_TIMEOUT_MS: '0',
      },
      'BULWARK_TICKET_TIMEOUT_MS must be an integer between 100 and 60000',
    ],
    [
      {
        BULWARK_TICKET_SYSTEM: 'http',
        BULWARK_TICKET_URL: 'http://x/{ticketId}',
        BULWARK_TICKET_STATUS_PATH: 'status',
      },
      'BULWARK_TICKET_STATUS_PATH: JSON path "status" must start with $',
    ],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});

describe('cluster configuration', () => {
  it('defaults to a 5 s heartbeat and a lease of three heartbeats', () => {
    expect(clusterFrom({})).toEqual({ heartbeatSeconds: 5, leaseSeconds: 15 });
    expect(clusterFrom({ BULWARK_HEARTBEAT_SECONDS: '0.5' })).toEqual({
      heartbeatSeconds: 0.5,
      leaseSeconds: 1.5,
    });
  });

  it('refuses a lease shorter than two heartbeats and values out of range', () => {
    expect(() => clusterFrom({ BULWARK_HEARTBEAT_SECONDS: '5', BULWARK_LEASE_SECONDS: '8' })).toThrow(
      /at least twice/,
    );
    expect(() => clusterFrom({ BULWARK_HEARTBEAT_SECONDS: '0' })).toThrow(/BULWARK_HEARTBEAT_SECONDS/);
    expect(() => clusterFrom({ BULWARK_LEASE_SECONDS: 'soon' })).toThrow(/BULWARK_LEASE_SECONDS/);
  });
});

describe('trusted proxies', () => {
  it('reads BULWARK_TRUSTED_PROXIES as addresses and CIDR ranges, none by default, and refuses others', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(
      loadConfig({ BULWARK_TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.5 ,fd00::/8,' }).trustedProxies,
    ).toEqual(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);
    expect(() => loadConfig({ BULWARK_TRUSTED_PROXIES: 'proxy.example' })).toThrow(
      'BULWARK_TRUSTED_PROXIES: "proxy.example" is not an IP address or CIDR range',
    );
  });
});

describe('remote password reset configuration (ADR 028)', () => {
  it('defaults: 30 s per call, reconciliation every 5 minutes after three timeouts + 10 s, no hooks', () => {
    expect(rotationFrom({})).toEqual({
      remoteTimeoutSeconds: 30,
      reconcileSeconds: 300,
      reconcileGraceSeconds: 100,
      testHooks: [],
    });
    expect(rotationFrom({ BULWARK_REMOTE_TIMEOUT_SECONDS: '2' }).reconcileGraceSeconds).toBe(16);
  });

  it('honours a test hook only under NODE_ENV=test, and refuses an unknown one', () => {
    const hook = { BULWARK_TEST_HOOKS: 'crash-after-remote-change' };
    expect(rotationFrom(hook).testHooks).toEqual([]);
    expect(rotationFrom({ ...hook, NODE_ENV: 'production' }).testHooks).toEqual([]);
    expect(rotationFrom({ ...hook, NODE_ENV: 'test' }).testHooks).toEqual(['crash-after-remote-change']);
    expect(() => rotationFrom({ BULWARK_TEST_HOOKS: 'crash-anywhere', NODE_ENV: 'test' })).toThrow(
      ConfigError,
    );
    expect(() => rotationFrom({ BULWARK_REMOTE_TIMEOUT_SECONDS: '0' })).toThrow(ConfigError);
  });
});

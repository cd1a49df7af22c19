import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

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

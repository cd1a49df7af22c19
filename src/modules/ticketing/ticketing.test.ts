import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketSystem, jsonPath, parseJsonPath, ticketUrl } from './ticketing.js';
import {
  TicketRefusedError,
  TicketSystemUnavailableError,
  type HttpTicketSettings,
} from './ticketing.types.js';

/** A stand-in for an organisation's ticketing system on loopback. */
function ticketServer() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
    const url = new URL(req.url ?? '/', 'http://x');
    const id = decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (id === 'OPEN-1') return json(200, { status: 'Open', assignee: 'alice', team: ['alice', 'bob'] });
    if (id === 'CLOSED-1') return json(200, { status: 'closed', assignee: 'alice' });
    if (id === 'GARBAGE') return json(200, '<html>not json');
    if (id === 'NOSTATUS') return json(200, { state: 'open' });
    if (id === 'ERROR') return json(503, { error: 'down' });
    if (id === 'SLOW') {
      setTimeout(() => json(200, { status: 'open', assignee: 'alice' }), 2000).unref();
      return;
    }
    if (id === 'A B/C&D') return json(200, { status: 'open', assignee: 'alice' });
    return json(404, { error: 'no such ticket' });
  });
  return { server, seen };
}

describe('ticket systems', () => {
  const { server, seen } = ticketServer();
  let base: string;
  const settings = (over: Partial<HttpTicketSettings> = {}): HttpTicketSettings => ({
    urlTemplate: `${base}/tickets/{ticketId}?user={user}`,
    method: 'GET',
    timeoutMs: 500,
    statusPath: '$.status',
    openValues: ['open', 'in progress'],
    assigneePath: '$.assignee',
    authorization: 'Bearer t0ken',
    ...over,
  });
  const http_ = (over: Partial<HttpTicketSettings> = {}) =>
    createTicketSystem({ kind: 'http', http: settings(over) });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('none and any accept ids without asking anyone', async () => {
    await expect(
      createTicketSystem({ kind: 'none', http: undefined }).validate('x', 'u'),
    ).resolves.toBeUndefined();
    await expect(
      createTicketSystem({ kind: 'any', http: undefined }).validate('x', 'u'),
    ).resolves.toBeUndefined();
    await expect(
      createTicketSystem({ kind: 'any', http: undefined }).validate('  ', 'u'),
    ).rejects.toBeInstanceOf(TicketRefusedError);
  });

  it('an open ticket assigned to the requester passes (case-insensitive status and user)', async () => {
    await expect(http_().validate('OPEN-1', 'Alice')).resolves.toBeUndefined();
    expect(seen.at(-1)).toBe('GET /tickets/OPEN-1?user=Alice Bearer t0ken');
  });

  it('a list of allowed users is compared with the requester', async () => {
    await expect(http_({ assigneePath: '$.team' }).validate('OPEN-1', 'bob')).resolves.toBeUndefined();
    await expect(http_({ assigneePath: '$.team' }).validate('OPEN-1', 'carol')).rejects.toThrow(
      'Ticket ID OPEN-1 is not assigned to carol',
    );
  });

  it('without an assignee path anyone may use an open ticket', async () => {
    await expect(http_({ assigneePath: undefined }).validate('OPEN-1', 'mallory')).resolves.toBeUndefined();
  });

  it('substitutes the ticket id and user URL-encoded', async () => {
    await expect(
      http_({ assigneePath: undefined }).validate('A B/C&D', 'dom\\user'),
    ).resolves.toBeUndefined();
    expect(seen.at(-1)).toMatch(/^GET \/tickets\/A%20B%2FC%26D\?user=dom%5Cuser /);
    expect(ticketUrl('x/{TICKETID}/{username}', 'a?b', 'c d')).toBe('x/a%3Fb/c%20d');
  });

  it('refuses a closed ticket, an unknown ticket and a wrong assignee', async () => {
    await expect(http_().validate('CLOSED-1', 'alice')).rejects.toThrow(
      'Ticket ID CLOSED-1 is not open (status "closed")',
    );
    await expect(http_().validate('NOPE-9', 'alice')).rejects.toBeInstanceOf(TicketRefusedError);
    await expect(http_().validate('OPEN-1', 'bob')).rejects.toThrow('not assigned to bob');
  });

  it('garbage, a missing status, a non-200 answer, a refused connection: unavailable, never a pass', async () => {
    for (const id of ['GARBAGE', 'NOSTATUS', 'ERROR']) {
      await expect(http_().validate(id, 'alice'), id).rejects.toBeInstanceOf(TicketSystemUnavailableError);
    }
    await expect(http_().validate('ERROR', 'alice')).rejects.toThrow('answered HTTP 503');
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(
      http_({ urlTemplate: `http://127.0.0.1:${port}/t/{ticketId}` }).validate('OPEN-1', 'alice'),
    ).rejects.toThrow('cannot be reached');
  });

  it('a slow answer is cut off at the timeout', async () => {
    const started = Date.now();
    await expect(http_({ timeoutMs: 300 }).validate('SLOW', 'alice')).rejects.toThrow(
      'no answer within 300 ms',
    );
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('reads small JSON paths', () => {
    const doc = { a: { b: [{ c: 'x' }] }, 'odd key': 1 };
    expect(jsonPath(doc, '$.a.b[0].c')).toBe('x');
    expect(jsonPath(doc, '$["odd key"]')).toBe(1);
    expect(jsonPath(doc, '$.a.missing.c')).toBeUndefined();
    expect(jsonPath(doc, '$')).toBe(doc);
    expect(() => parseJsonPath('a.b')).toThrow('must start with $');
    expect(() => parseJsonPath('$..b')).toThrow('cannot be read');
  });
});

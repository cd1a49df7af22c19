/**
 * A bounded fuzz of every route of the console's native API, as a signed-in administrator with
 * a valid CSRF token, on both dialects. The routes are read from the server's own OpenAPI
 * document (`/api/openapi.json`), so a new route is fuzzed without touching this file; so are
 * the fields each route's body schema declares.
 *
 * For each route: path parameters that are not ids (prototype names, a lone surrogate, NUL,
 * numbers past 2^53, negative and fractional ones); bodies that are not JSON objects (text,
 * truncated JSON, arrays, null, numbers, strings), prototype names as keys, a body over the size
 * limit, the wrong content type; every declared field given each wrong type (object, list,
 * number, boolean, null, a 100,000-character string, a lone surrogate); junk query parameters.
 *
 * Every answer must be below 500 with a JSON `error` (or, for a success, whatever the route
 * answers); the server must stay alive, log no internal error, and the administrator's session
 * must still work at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../helpers/client.js';
import { signIn, SESSION_COOKIE, type ConsoleClient } from '../helpers/console-client.js';
import { dialects, startServer, type RunningServer } from '../helpers/server.js';

const CONCURRENCY = 6;
const OVER_LIMIT = 'a body over the limit';
/** A well-formed id that names nothing: the body is checked before anything is looked up. */
const ABSENT_ID = '987654';
const JUNK_PARAMS = [
  'constructor',
  '__proto__',
  '%ED%A0%80',
  '%00',
  '99999999999999999999',
  '-1',
  '1.5',
  '0',
];

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly bodyFields: readonly string[];
  /** A body of the schema's shape with plausible values, for the other fields of a bad one. */
  readonly plausibleBody: Record<string, unknown>;
  readonly queryFields: readonly string[];
}

interface FuzzRequest {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
}

/** The operations of the OpenAPI document, except the one that ends the fuzzer's own session. */
function operationsOf(document: any): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries<Record<string, any>>(document.paths)) {
    for (const [method, operation] of Object.entries<any>(methods)) {
      if (path === '/api/v1/session/logout' || (path === '/api/v1/session' && method === 'delete')) continue;
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      const params: any[] = operation.parameters ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        bodyFields: Object.keys(schema?.properties ?? {}),
        // The session's own routes (password change, second factor) get no plausible values: a
        // plausible wrong current password would count toward locking the fuzzing administrator.
        plausibleBody:
          schema?.properties && !path.startsWith('/api/v1/session')
            ? Object.fromEntries(Object.entries<any>(schema.properties).map(([k, v]) => [k, plausible(v)]))
            : {},
        queryFields: params.filter((p) => p.in === 'query').map((p) => String(p.name)),
      });
    }
  }
  return out;
}

/** A value the JSON schema accepts, or at least one of its type. */
function plausible(schema: any): unknown {
  if (!schema || typeof schema !== 'object') return 'fuzz';
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if ('const' in schema) return schema.const;
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(alternatives) && alternatives.length > 0) return plausible(alternatives[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 1;
    case 'boolean':
      return false;
    case 'array':
      return [];
    case 'object':
      return {};
    case 'null':
      return null;
    default:
      return 'fuzz-value';
  }
}

function requestsFor(op: Operation): FuzzRequest[] {
  const fill = (value: string) => op.path.replace(/\{[A-Za-z]+\}/g, value);
  const target = fill(ABSENT_ID);
  const out: FuzzRequest[] = [];
  const hasParams = op.path.includes('{');
  if (hasParams) {
    for (const junk of JUNK_PARAMS) {
      out.push({
        label: `path parameters ${junk}`,
        method: op.method,
        path: fill(junk),
        ...(op.method === 'GET' ? {} : { body: '{}' }),
      });
    }
  }
  const query = [...op.queryFields, 'offset', 'limit', '__proto__'];
  out.push({
    label: 'junk query parameters',
    method: op.method,
    path: `${target}?${query.map((n, i) => `${encodeURIComponent(n)}=${['-1', '1e309', '%00', 'constructor', '[]'][i % 5]}`).join('&')}`,
    ...(op.method === 'GET' ? {} : { body: '{}' }),
  });
  out.push({
    label: 'repeated query parameters and a huge one',
    method: op.method,
    path: `${target}?${query.map((n) => `${encodeURIComponent(n)}=1&${encodeURIComponent(n)}=2`).join('&')}&x=${'y'.repeat(6000)}`,
    ...(op.method === 'GET' ? {} : { body: '{}' }),
  });
  if (op.method === 'GET') return out;

  const raw = (label: string, body: string, contentType = 'application/json') =>
    out.push({ label, method: op.method, path: target, body, contentType });
  raw('text that is not JSON', 'not json at all');
  raw('truncated JSON', '{"a":');
  raw('a JSON list', '[1,2,3]');
  raw('JSON null', 'null');
  raw('a JSON number', '42');
  raw('a JSON string', '"text"');
  raw('prototype names as keys', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}');
  raw('deeply nested JSON', `${'['.repeat(5000)}${']'.repeat(5000)}`);
  raw(
    'bytes that are not UTF-8',
    Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]).toString('latin1'),
  );
  raw('the wrong content type', '{}', 'text/plain');
  raw('a form body', 'a=1&b=2', 'application/x-www-form-urlencoded');
  raw(OVER_LIMIT, `{"x":"${'z'.repeat(3 * 1024 * 1024)}"}`);
  const wrong: [string, string][] = [
    ['an object', '{"a":{"b":1}}'],
    ['a list', '["x",{"y":null}]'],
    ['a huge number', '1e309'],
    ['a fraction', '-0.5'],
    ['a boolean', 'true'],
    ['null', 'null'],
    ['100,000 characters', JSON.stringify('w'.repeat(100_000))],
    ['a lone surrogate', '"\\ud800"'],
    ['a NUL', '"a\\u0000b"'],
  ];
  // Each declared field wrong in turn, the others plausible, so that the bad one is what the
  // validator (or the service behind it) meets.
  const others = JSON.stringify(op.plausibleBody).slice(1, -1);
  for (const field of op.bodyFields) {
    const rest = JSON.stringify(
      Object.fromEntries(Object.entries(op.plausibleBody).filter(([k]) => k !== field)),
    ).slice(1, -1);
    for (const [what, value] of wrong)
      raw(`${field} as ${what}`, `{${rest}${rest ? ',' : ''}${JSON.stringify(field)}:${value}}`);
  }
  if (others) {
    raw('plausible values', `{${others}}`);
    raw('plausible values and unknown fields', `{${others},"isAdmin":true,"ownerId":1}`);
  }
  return out;
}

describe.each(dialects())('fuzz of every console API route on %s', (dialect) => {
  let server: RunningServer;
  let admin: ConsoleClient;

  beforeAll(async () => {
    server = await startServer(dialect);
    const { username, password } = server.instance.credentials;
    admin = (await signIn(server.baseUrl, username, password)).client;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('answers every bad input with a 4xx JSON error, never 5xx, and stays alive', async () => {
    const spec = await admin.get('/api/openapi.json');
    expect(spec.status).toBe(200);
    // Deletions last, so that the routes before them see the same (empty) instance.
    const operations = operationsOf(spec.json).sort(
      (a, b) => Number(a.method === 'DELETE') - Number(b.method === 'DELETE') || a.path.localeCompare(b.path),
    );
    expect(operations.length).toBeGreaterThan(40);
    const problems: string[] = [];
    let sent = 0;
    let reachedRoutes = 0;
    for (const op of operations) {
      const queue = requestsFor(op);
      const worker = async () => {
        for (let request = queue.shift(); request; request = queue.shift()) {
          const sending = rawRequest(server.baseUrl, {
            method: request.method,
            path: request.path,
            headers: {
              cookie: `${SESSION_COOKIE}=${admin.cookie}`,
              ...(request.method === 'GET' ? {} : { 'x-csrf-token': admin.csrf! }),
              ...(request.body !== undefined
                ? { 'content-type': request.contentType ?? 'application/json' }
                : {}),
            },
            ...(request.body !== undefined ? { body: Buffer.from(request.body, 'latin1') } : {}),
          });
          let answer: Awaited<typeof sending>;
          try {
            answer = await sending;
          } catch (err) {
            // Past the size limit the server answers 413 and closes the connection without reading
            // the rest, so the client may fail writing the body: that is a refusal too.
            const code = (err as NodeJS.ErrnoException).code;
            if (request.label === OVER_LIMIT && (code === 'EPIPE' || code === 'ECONNRESET')) {
              sent++;
              reachedRoutes++;
              continue;
            }
            problems.push(
              `${request.method} ${request.path.slice(0, 80)} [${request.label}]: ${String(err)}`,
            );
            continue;
          }
          sent++;
          if (answer.status !== 401 && answer.status !== 403) reachedRoutes++;
          const where = `${request.method} ${request.path.slice(0, 80)} [${request.label}]`;
          if (answer.status >= 500)
            problems.push(`${where}: HTTP ${answer.status} ${answer.text.slice(0, 200)}`);
          else if (answer.status >= 400) {
            const type = String(answer.headers['content-type'] ?? '');
            let json: any;
            try {
              json = JSON.parse(answer.text);
            } catch {
              json = undefined;
            }
            if (!type.startsWith('application/json') || typeof json?.error?.message !== 'string')
              problems.push(
                `${where}: HTTP ${answer.status} without a JSON error: ${answer.text.slice(0, 120)}`,
              );
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    }
    const logged = server
      .output()
      .split('\n')
      .filter((line) => line.includes('internal error'))
      .slice(0, 5);
    expect(problems, [...problems.slice(0, 30), ...logged].join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(operations.length * 10);
    // The session held throughout: the requests reached the routes, not the sign-in check.
    expect(reachedRoutes).toBeGreaterThan(sent * 0.95);
    expect(server.process.exitCode).toBeNull();
    expect((await admin.get('/api/v1/session')).status).toBe(200);
    expect(server.output()).not.toMatch(/internal error/);
  }, 300_000);
});

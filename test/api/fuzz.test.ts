/**
 * A bounded fuzz of every route the application registers (`registerRoutes`, listed as for the
 * endpoint reference, so a new route is fuzzed without touching this file), as the
 * administrator, on both dialects (issue 11, ADR 016).
 *
 * For each route, a fixed-seed set of bad inputs: every field of the API given the wrong type
 * (objects, lists, numbers, booleans, null), prototype names as values and as keys, text that
 * is not valid Unicode, one bad field among plausible ones, INPUT_DATA that is not an object or
 * is truncated, truncated multipart, bytes that are not UTF-8, huge strings, junk path
 * parameters and query parameters. The field names are read from the sources (every
 * `details.string('NAME')`-style read), so new fields are fuzzed too.
 *
 * Every answer must be a PMP envelope with status Success or Failed and a 4xxxx code (or a
 * file, for the download endpoints); never HTTP 5xx; and the server must still be alive and
 * must have logged no internal error.
 */
import https from 'node:https';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes, type RegisteredRoute } from '../../src/tools/docs.js';
import { createApiUser } from '../helpers/actors.js';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { dialects, REPO_ROOT, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';
const SEED = 0x5eed11;
const CONCURRENCY = 6;

/** Every field name the sources read from INPUT_DATA or the query. */
function fieldNames(): string[] {
  const names = new Set<string>();
  const read =
    /\.(?:string|requiredString|secret|boolean|choice|objectList|idList|raw|has|value|param)\(\s*'([A-Za-z_][A-Za-z0-9_]*)'/g;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        for (const m of readFileSync(full, 'utf8').matchAll(read)) names.add(m[1]!);
      }
    }
  };
  walk(path.join(REPO_ROOT, 'src'));
  return [...names].sort();
}

/** mulberry32: a small PRNG, so every run sends the same requests. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HUGE = 'x'.repeat(300_000);
/** Values of the wrong type or shape for any field, as JSON text (lone surrogates escaped). */
const BAD_VALUES: readonly string[] = [
  '{}',
  '{"a":"b"}',
  '[]',
  '[{}]',
  '[[1]]',
  '["1",{"a":1}]',
  '123',
  '-1',
  '1e308',
  '0.5',
  'true',
  'false',
  'null',
  '"constructor"',
  '"__proto__"',
  '"toString"',
  '"hasOwnProperty"',
  '"\\ud800"',
  '"a\\udc00b"',
  '"1,2,constructor"',
  '" "',
  `"${HUGE}"`,
  '"\\u0000"',
  '{"__proto__":{"x":1}}',
];

interface FuzzRequest {
  readonly label: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
}

describe.each(dialects())('fuzz of every route on %s', (dialect) => {
  let server: RunningServer;
  let token: string;
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY, rejectUnauthorized: false });
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    server = await startServer(dialect);
    token = server.token;
    const admin = pmpClient(server.baseUrl, server.token);
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'fuzz-host',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'x',
        }),
      }),
    );
    const user = await createApiUser(server, 'fuzz-user', 'Password User');
    const group = expectSuccess(
      await admin(`${V1}/resourcegroup`, {
        method: 'POST',
        input: details({ GROUPNAME: 'fuzz-group', GROUPTYPE: 'STATIC' }),
      }),
    );
    Object.assign(ids, {
      resourceId: String(created.details.RESOURCEID),
      accountId: String(created.details.ACCOUNTID),
      userId: user.id,
      requesterId: user.id,
      groupId: String(group.details.RESOURCEGROUPID),
      resourceName: 'fuzz-host',
      accountName: 'root',
    });
  });

  afterAll(async () => {
    agent.destroy();
    await server?.stop();
    server?.instance.remove();
  });

  function send(request: FuzzRequest): Promise<Answer> {
    const url = new URL(server.baseUrl);
    return new Promise((resolve) => {
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      const req = https.request(
        {
          host: url.hostname,
          port: url.port,
          method: request.method,
          path: request.path,
          agent,
          headers: {
            AUTHTOKEN: token,
            ...(body ? { 'content-length': String(body.length) } : {}),
            ...request.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (err) => resolve({ status: -1, contentType: '', text: String(err) }));
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error('timed out')));
      req.on('error', (err) => resolve({ status: -1, contentType: '', text: String(err) }));
      req.end(body);
    });
  }

  /** Why the answer is not acceptable, or undefined when it is. */
  function complaint(answer: Answer): string | undefined {
    if (answer.status !== 200) return `HTTP ${answer.status}: ${answer.text.slice(0, 200)}`;
    if (!answer.contentType.startsWith('application/json')) return undefined; // a file
    let raw: any;
    try {
      raw = JSON.parse(answer.text);
    } catch {
      return `not JSON: ${answer.text.slice(0, 200)}`;
    }
    // PMP answers are wrapped in "operation"; the PKI API's are not (compat.md).
    const result = raw?.operation?.result ?? raw?.result;
    if (result?.status === 'Success') return undefined;
    if (result?.status !== 'Failed') return `no PMP status: ${answer.text.slice(0, 200)}`;
    if (typeof result.statusCode !== 'number' || result.statusCode < 40000 || result.statusCode >= 50000) {
      return `Failed with code ${result.statusCode}: ${result.message}`;
    }
    return undefined;
  }

  function requestsFor(route: RegisteredRoute, index: number, names: readonly string[]): FuzzRequest[] {
    const random = prng(SEED + index);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const fill = (params: (name: string) => string) =>
      route.url.replace(/:([A-Za-z]+)/g, (_m, name: string) => params(name));
    const target = fill((name) => encodeURIComponent(ids[name] ?? '1'));
    const form = (json: string) => ({
      headers: { 'Content-Type': 'text/json' },
      body: `INPUT_DATA=${encodeURIComponent(json)}`,
    });
    const doc = (detailsJson: string) => `{"operation":{"Details":${detailsJson}}}`;
    const out: FuzzRequest[] = [];
    const add = (label: string, request: Omit<FuzzRequest, 'label' | 'method'>) =>
      out.push({ label, method: route.method, ...request });

    // Every field at once with one wrong type: whichever field the endpoint reads first.
    for (const value of ['{}', '[]', '[{}]', '123', 'true', 'null', '"constructor"', '"\\ud800"']) {
      add(`every field = ${value}`, {
        path: target,
        ...form(doc(`{${names.map((n) => `"${n}":${value}`).join(',')}}`)),
      });
    }
    // One bad field among plausible values, so the endpoint reads on to it.
    for (let i = 0; i < 8; i++) {
      const bad = pick(names);
      const value = pick(BAD_VALUES);
      const fields = names.map((n) => `"${n}":${n === bad ? value : '"1"'}`);
      add(`${bad} = ${value.slice(0, 40)} among "1"s`, {
        path: target,
        ...form(doc(`{${fields.join(',')}}`)),
      });
    }
    // The document itself of the wrong shape, with prototype names as keys, truncated.
    for (const json of [
      '[]',
      '"text"',
      '42',
      '{"operation":[]}',
      '{"operation":{"Details":[]}}',
      '{"operation":{"Details":"x"}}',
      doc('{"__proto__":{"RESOURCENAME":"x"},"constructor":"x","toString":{},"valueOf":[]}'),
      '{"__proto__":{"Details":{"RESOURCENAME":"x"}}}',
      '{"operation":{"Details":{"RESOURCENAME":"ab',
    ]) {
      add(`INPUT_DATA ${json.slice(0, 50)}`, { path: target, ...form(json) });
    }
    add('a JSON body with a lone surrogate key', {
      path: target,
      headers: { 'Content-Type': 'application/json' },
      body: doc(`{"\\ud800":"x","${pick(names)}":"\\udfff"}`),
    });
    add('a truncated JSON body', {
      path: target,
      headers: { 'Content-Type': 'application/json' },
      body: '{"operation":{"Details":{"',
    });
    add('a truncated multipart body', {
      path: target,
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nAAAA',
    });
    add('a multipart INPUT_DATA field that is not UTF-8', {
      path: target,
      headers: { 'Content-Type': 'multipart/form-data; boundary=XyZ' },
      body: Buffer.concat([
        Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n{"a":"'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('"}\r\n--XyZ--\r\n'),
      ]),
    });
    add('a body that is not UTF-8', {
      path: target,
      headers: { 'Content-Type': 'text/json' },
      body: Buffer.from([0x49, 0x4e, 0x3d, 0xc3, 0x28, 0xff]),
    });
    // Query parameters: prototype names, a lone surrogate escape, huge text, a truncated INPUT_DATA.
    const queryNames = [pick(names), pick(names), pick(names)];
    add('query parameters of prototype names', {
      path: `${target}?${queryNames.map((n, i) => `${encodeURIComponent(n)}=${['constructor', '__proto__', 'toString'][i]}`).join('&')}`,
    });
    add('a huge query parameter and a truncated query INPUT_DATA', {
      path: `${target}?${encodeURIComponent(pick(names))}=${'y'.repeat(6000)}&INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"A":')}`,
    });
    // Path parameters that are not ids or names.
    if (route.url.includes(':')) {
      for (const junk of ['constructor', '__proto__', '%ED%A0%80', '99999999999999999999', '-1', '%00']) {
        add(`path parameters ${junk}`, { path: fill(() => junk) });
      }
    }
    return out;
  }

  it('answers every bad input to every route with a PMP envelope, never 5xx, and stays alive', async () => {
    // Deletions and token regeneration last, so the fixtures serve the other routes first.
    const routes = [...registeredRoutes()].sort(
      (a, b) => weight(a) - weight(b) || a.url.localeCompare(b.url) || a.method.localeCompare(b.method),
    );
    // The names the sources read, and every top-level name a route's schema declares (ADR 023;
    // `ACCOUNTLIST[].PASSWORD` names a field inside a list, which the "1"s already reach).
    const declared = routes.flatMap((r) => r.inputFields).filter((n) => !n.includes('[].'));
    const names = [...new Set([...fieldNames(), ...declared])].sort();
    expect(names.length).toBeGreaterThan(40);
    expect(routes.length).toBeGreaterThan(60);
    const problems: string[] = [];
    let sent = 0;
    let authenticated = 0;
    for (const [index, route] of routes.entries()) {
      const queue = requestsFor(route, index, names);
      const worker = async () => {
        for (let request = queue.shift(); request; request = queue.shift()) {
          const answer = await send(request);
          sent++;
          if (!answer.text.includes('"name":"Authentication"')) authenticated++;
          const why = complaint(answer);
          if (why) problems.push(`${route.method} ${route.url} [${request.label}]: ${why}`);
          // A regenerated token replaces the admin's: carry on with the new one.
          const regenerated = /"AUTHTOKEN":"([^"]+)"/.exec(answer.text);
          if (route.url.endsWith('/regenerateAuthtoken') && regenerated) token = regenerated[1]!;
        }
      };
      const parallel = route.url.endsWith('/regenerateAuthtoken') ? 1 : CONCURRENCY;
      await Promise.all(Array.from({ length: parallel }, worker));
    }
    // The server's own words for any internal error, to find it without a rerun.
    const logged = server
      .output()
      .split('\n')
      .filter((line) => line.includes('internal error'))
      .slice(0, 5);
    expect(problems, [...problems.slice(0, 30), ...logged].join('\n')).toEqual([]);
    expect(sent).toBeGreaterThan(routes.length * 20);
    // The fuzz reached the endpoints: only the requests after a token regeneration may be refused.
    expect(authenticated).toBeGreaterThan(sent * 0.95);
    expect(server.process.exitCode).toBeNull();
    expectSuccess(
      await pmpClient(server.baseUrl, token)(`${V1}/resources/resourcetypes`),
      'GET RESOURCE TYPES',
    );
    expect(server.output()).not.toMatch(/internal error|Unexpected end of form/);
  }, 240_000);
});

function weight(route: RegisteredRoute): number {
  if (route.url.endsWith('/regenerateAuthtoken')) return 2;
  return route.method === 'DELETE' ? 1 : 0;
}

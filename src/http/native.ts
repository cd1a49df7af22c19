import { createHash, timingSafeEqual } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Caller, CallOrigin, Principal } from '../platform/principal.js';
import {
  AuthenticationError,
  DomainError,
  FieldInputError,
  InvalidInputError,
  NotPermittedError,
} from '../platform/errors.js';
import { RESULT_CODES } from '../platform/result-codes.js';
import { readBody } from './body.js';
import type { HttpMethod } from './server.js';

/**
 * The console's native JSON API (ADR 042): plain JSON in and out, real HTTP statuses, a session
 * cookie instead of an API token, and a CSRF token on every change. It lives beside the PMP
 * routes on the same server and reaches the same services; what differs is only how a request
 * is read and answered, which is all in this file.
 */

/** Paths answered in the native shape: the console API and its OpenAPI document. */
export function isNativePath(path: string): boolean {
  const p = path.replace(/\/{2,}/g, '/').toLowerCase();
  return p.startsWith('/api/v1/') || p === '/api/v1' || p === '/api/openapi.json';
}

export const SESSION_COOKIE = '__Host-bulwark-session';
export const CSRF_HEADER = 'x-csrf-token';
export const WEB_CLIENT = 'Web Client';

/** A console session as the cookie names it; resolved by the identity module. */
export interface ConsoleSession {
  readonly principal: Principal;
  /** Sent back by the console in `X-CSRF-Token` on every change. */
  readonly csrfToken: string;
  /** `second-factor`: the password was right, the second factor is still due. */
  readonly stage: 'second-factor' | 'signed-in';
  /** Epoch ms: the session's absolute end. */
  readonly expiresAt: number;
  /** Seconds until it ends without another request (the idle timer, or expiresAt if sooner). */
  readonly secondsLeft: number;
}

/** On every answer to a session: its `secondsLeft`, so the console can warn before it ends. */
export const SESSION_LEFT_HEADER = 'bulwark-session-seconds-left';

export interface SessionAuthenticator {
  /**
   * The live session `token` names, its idle timer renewed; throws AuthenticationError when there
   * is none, it expired, or its user was locked or deleted.
   */
  sessionOf(token: string, origin: CallOrigin): Promise<ConsoleSession>;
}

/** Who may call a route: anyone, a session past its password, or a signed-in session. */
export type NativeAccess = 'public' | 'second-factor' | 'signed-in';

export interface NativeCookies {
  /** Sets the session cookie; `maxAgeSeconds` is the session's absolute lifetime left. */
  setSession(token: string, maxAgeSeconds: number): void;
  clearSession(): void;
}

export interface NativeContext<B, Q> {
  readonly origin: CallOrigin;
  /** The signed-in caller; only on `signed-in` routes (elsewhere reading it throws). */
  readonly caller: Caller;
  /** The session the cookie named, on `second-factor` and `signed-in` routes. */
  readonly session: ConsoleSession | undefined;
  /** The cookie's token itself, for the routes that replace or end the session. */
  readonly sessionToken: string | undefined;
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly cookies: NativeCookies;
}

/**
 * A download instead of JSON (a CSV export): sent as an attachment, its content streamed when
 * it is an async iterable, so a large file is never whole in memory.
 */
export class NativeFile {
  constructor(
    readonly fileName: string,
    readonly contentType: string,
    readonly content: Buffer | AsyncIterable<string | Buffer>,
  ) {}
}

export interface NativeRouteSpec<B = undefined, Q = undefined> {
  readonly method: HttpMethod;
  /** Under /api/v1, with `:name` path parameters. */
  readonly url: string;
  /** One line for the OpenAPI document. */
  readonly summary: string;
  readonly tag: string;
  readonly access: NativeAccess;
  readonly body?: z.ZodType<B>;
  readonly query?: z.ZodType<Q>;
  /** The answer's shape, for the OpenAPI document (not enforced). */
  readonly response?: z.ZodType;
  /** 200 unless said (201 for creations). */
  readonly status?: 200 | 201;
  handle(context: NativeContext<B, Q>): Promise<unknown>;
}

export interface NativeRouter {
  add<B = undefined, Q = undefined>(spec: NativeRouteSpec<B, Q>): void;
  /** The OpenAPI 3.1 document of every route added so far. */
  openApi(): Record<string, unknown>;
}

export interface NativeOptions {
  readonly sessions: SessionAuthenticator;
  readonly maxBodyBytes: number;
  readonly clientIpOf: (request: FastifyRequest) => string;
  /** Told of every route, so a wrong method on a known path answers 405, not 404. */
  readonly onRoute?: (method: HttpMethod, url: string) => void;
}

const CHANGING_METHODS = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
/** What a public route (the login) reads at most before anyone is authenticated. */
const PUBLIC_BODY_BYTES = 16 * 1024;

/** The native router on the same Fastify instance as the PMP routes. */
export function createNativeRouter(app: FastifyInstance, options: NativeOptions): NativeRouter {
  const specs: NativeRouteSpec<unknown, unknown>[] = [];

  const router: NativeRouter = {
    add<B, Q>(spec: NativeRouteSpec<B, Q>) {
      specs.push(spec);
      options.onRoute?.(spec.method, spec.url);
      app.route({
        method: spec.method,
        url: spec.url,
        config: { operation: spec.summary },
        handler: async (request, reply) => {
          const origin: CallOrigin = { clientIp: options.clientIpOf(request), client: WEB_CLIENT };
          refuseCrossSite(request);
          const changing = CHANGING_METHODS.has(request.method);
          const sessionToken = cookieOf(request, SESSION_COOKIE);
          let session: ConsoleSession | undefined;
          if (spec.access !== 'public') {
            if (sessionToken === undefined) throw new AuthenticationError('You are not signed in');
            session = await options.sessions.sessionOf(sessionToken, origin);
            if (spec.access === 'signed-in' && session.stage !== 'signed-in') {
              throw new AuthenticationError('Sign-in is not complete: the second factor is due');
            }
            if (changing) requireCsrfToken(request, session.csrfToken);
            if (session.stage === 'signed-in') {
              void reply.header(SESSION_LEFT_HEADER, String(session.secondsLeft));
            }
          }
          // Bodies only as JSON: a cross-site form cannot send application/json without a
          // preflight this server never grants, which is what protects the login itself.
          // A caller nobody authenticated (the login) may send only a small body.
          const limit =
            spec.access === 'public'
              ? Math.min(PUBLIC_BODY_BYTES, options.maxBodyBytes)
              : options.maxBodyBytes;
          const body = await jsonBodyOf(request, reply, limit, changing);
          const parsed = {
            body: parseWith(spec.body, body, ''),
            query: parseWith(spec.query, queryOf(request), 'query.'),
          };
          const caller: Caller | undefined =
            session?.stage === 'signed-in' ? { ...origin, principal: session.principal } : undefined;
          const result = await spec.handle({
            origin,
            get caller(): Caller {
              if (caller === undefined) throw new AuthenticationError('You are not signed in');
              return caller;
            },
            session,
            sessionToken,
            body: parsed.body as B,
            query: parsed.query as Q,
            params: request.params as Record<string, string>,
            cookies: {
              setSession(token, maxAgeSeconds) {
                void reply.header('set-cookie', sessionCookie(token, Math.max(0, Math.floor(maxAgeSeconds))));
              },
              clearSession() {
                void reply.header('set-cookie', sessionCookie('', 0));
              },
            },
          });
          if (result instanceof NativeFile) return sendFile(reply, result);
          return sendNative(reply, spec.status ?? 200, result ?? {});
        },
      });
    },

    openApi() {
      return openApiDocument(specs);
    },
  };
  return router;
}

/** Headers of every native answer: nothing cached, nothing sniffed, never framed. */
function sendNative(reply: FastifyReply, status: number, payload: unknown): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .send(JSON.stringify(payload));
}

function sendFile(reply: FastifyReply, file: NativeFile): FastifyReply {
  const ascii = file.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return reply
    .code(200)
    .header('content-type', file.contentType)
    .header(
      'content-disposition',
      `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
    )
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(Buffer.isBuffer(file.content) ? file.content : Readable.from(file.content));
}

/** The native answer to a failure: the HTTP status of its kind and `{ error }`. */
export function sendNativeError(reply: FastifyReply, error: DomainError): FastifyReply {
  const field = error instanceof FieldInputError ? error.field : undefined;
  return sendNative(reply, nativeStatusOf(error), {
    error: { code: error.code, message: error.message, ...(field === undefined ? {} : { field }) },
  });
}

export function sendNativeInternalError(reply: FastifyReply, message: string): FastifyReply {
  return sendNative(reply, RESULT_CODES.internal.http, {
    error: { code: RESULT_CODES.internal.code, message },
  });
}

/** 4xxyy → 4xx; the few codes whose hundreds are not an HTTP status answer 400. */
export function nativeStatusOf(error: DomainError): number {
  const status = Math.floor(error.code / 100);
  if (error.code === RESULT_CODES.unknownEndpoint.code) return 404;
  return [400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 503, 507].includes(status) ? status : 400;
}

function sessionCookie(token: string, maxAgeSeconds: number): string {
  // __Host-: only over HTTPS, for this host only, path /; Strict: never sent on a cross-site request.
  return `${SESSION_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`;
}

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{16,128}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/** A browser says where a request comes from; anything but this origin is refused. */
function refuseCrossSite(request: FastifyRequest): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') {
    throw new NotPermittedError('Requests from other sites are refused');
  }
  const origin = request.headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host === undefined || host.toLowerCase() !== String(request.headers.host ?? '').toLowerCase()) {
      throw new NotPermittedError('Requests from other origins are refused');
    }
  }
}

function requireCsrfToken(request: FastifyRequest, expected: string): void {
  const sent = request.headers[CSRF_HEADER];
  const digest = (value: string) => createHash('sha256').update(value).digest();
  if (typeof sent !== 'string' || !timingSafeEqual(digest(sent), digest(expected))) {
    throw new NotPermittedError('The request is missing its CSRF token (X-CSRF-Token); reload the console');
  }
}

async function jsonBodyOf(
  request: FastifyRequest,
  reply: FastifyReply,
  limit: number,
  changing: boolean,
): Promise<unknown> {
  const declared = request.unreadBody;
  request.unreadBody = undefined;
  const contentType = (request.rawContentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (changing && contentType !== 'application/json') {
    if (declared !== undefined) reply.header('connection', 'close');
    throw new InvalidInputError('Send the request body as JSON (Content-Type: application/json)');
  }
  if (declared === undefined) return undefined;
  let raw: Buffer;
  try {
    raw = await readBody(request.raw, declared, limit);
  } catch (err) {
    reply.header('connection', 'close');
    throw err;
  }
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new InvalidInputError('The request body is not valid JSON');
  }
}

function queryOf(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const q = request.url.indexOf('?');
  if (q === -1) return out;
  for (const [name, value] of new URLSearchParams(request.url.slice(q + 1))) out[name] = value;
  return out;
}

/** Validates by the route's schema; the first issue becomes a field error naming its path. */
function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, prefix: string): T | undefined {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const message = issue.message;
  if (field === '') throw new InvalidInputError(message);
  throw new FieldInputError(`${prefix}${field}`, message);
}

function openApiDocument(specs: readonly NativeRouteSpec<unknown, unknown>[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorSchema = {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: {
          code: { type: 'integer', description: 'A code of docs/api-errors.md' },
          message: { type: 'string' },
          field: { type: 'string', description: 'The input field at fault, when there is one' },
        },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  };
  for (const spec of specs) {
    const path = spec.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [...spec.url.matchAll(/:([A-Za-z]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (spec.query) {
      const schema = z.toJSONSchema(spec.query, { io: 'input', unrepresentable: 'any' }) as {
        properties?: Record<string, unknown>;
        required?: string[];
      };
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        parameters.push({
          name,
          in: 'query',
          required: schema.required?.includes(name) ?? false,
          schema: property,
        });
      }
    }
    const operation: Record<string, unknown> = {
      summary: spec.summary,
      tags: [spec.tag],
      security: spec.access === 'public' ? [] : [{ session: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(spec.body
        ? {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }),
                },
              },
            },
          }
        : {}),
      responses: {
        [String(spec.status ?? 200)]: {
          description: 'Success',
          content: {
            'application/json': {
              schema: spec.response
                ? z.toJSONSchema(spec.response, { unrepresentable: 'any' })
                : { type: 'object' },
            },
          },
        },
        default: { description: 'Failure', content: { 'application/json': { schema: errorSchema } } },
      },
    };
    (paths[path] ??= {})[spec.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Bulwark console API',
      version: '1',
      description:
        'The native JSON API of the web console (ADR 042). Sign in with POST /api/v1/session/login and ' +
        'the second factor; the session cookie then authenticates, and every POST, PUT and DELETE sends ' +
        "the session's CSRF token in X-CSRF-Token. Scripts use the PMP-compatible API with an API key instead.",
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
      },
    },
    paths,
  };
}

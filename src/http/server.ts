import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { a2aClientLabel, type Caller, type CallOrigin, type Principal } from '../platform/principal.js';
import {
  AuthenticationError,
  ConflictError,
  DatabaseUnavailableError,
  DomainError,
  InvalidInputError,
  MethodNotAllowedError,
  NotPermittedError,
  StorageFullError,
  UnknownEndpointError,
} from '../platform/errors.js';
import { RESULT_CODES, type ResultCode } from '../platform/result-codes.js';
import { declaredBody, discardBody, readBody, type DeclaredBody } from './body.js';
import {
  AUTHENTICATION_OPERATION,
  dialectOfPath,
  envelopeIn,
  failureEnvelope,
  PMP_CONTENT_TYPE,
  SUCCESS_CODE,
  type EnvelopeDialect,
} from './envelope.js';
import { readRequestInput, type PmpInput } from './input.js';
import type { InputSchema } from './input-schema.js';
import { rejectNul } from './field-reader.js';
import {
  isConnectFailure,
  isUniqueViolation,
  isUnstorableText,
  storageFaultOf,
} from '../platform/db/errors.js';
import type { WriteWatch } from '../platform/db/write-watch.js';
import { extractToken } from './token.js';
import { clientAddress, NO_TRUSTED_PROXIES, type TrustedProxies } from './client-address.js';
import { SERVER_TLS_OPTIONS } from '../platform/tls.js';
import type { Metrics } from '../platform/metrics.js';
import {
  createNativeRouter,
  isNativePath,
  sendNativeError,
  sendNativeInternalError,
  type NativeRouter,
  type SessionAuthenticator,
} from './native.js';

export interface Authenticator {
  /** Resolves the caller or throws AuthenticationError with the message the client sees. */
  authenticate(token: string | undefined, origin: CallOrigin): Promise<Principal>;
}

/** Identifies an application by the client certificate it presented (ADR 014). */
export interface CertificateAuthenticator {
  /** Resolves the application's principal or throws AuthenticationError. */
  authenticateCertificate(der: Buffer, origin: CallOrigin): Promise<Principal>;
  /** Records that an application was refused an operation it is not allowed; never rejects. */
  auditRefusedOperation(caller: Caller, refusal: string): Promise<void>;
}

export interface HttpServerOptions {
  readonly tls: { readonly cert: string | Buffer; readonly key: string | Buffer } | undefined;
  /** Proxies whose X-Forwarded-For names the client (ADR 021); none: the TCP peer is the client. */
  readonly trustedProxies?: TrustedProxies;
  readonly maxBodyBytes: number;
  readonly maxFileBytes: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  readonly logLevel: string;
  readonly authenticator: Authenticator;
  /** Client-certificate identity of applications; without it certificates are ignored. */
  readonly certificates?: CertificateAuthenticator;
  /** Console sessions; without them the native API (/api/v1) is not served. */
  readonly sessions?: SessionAuthenticator;
  /**
   * Answers a GET no route took (the console's files); false leaves it to the PMP envelope's
   * "no API endpoint" answer.
   */
  readonly notFound?: (request: FastifyRequest, reply: FastifyReply) => Promise<boolean>;
  /** Where every answer is counted and timed (GET /metrics); none: nothing is recorded. */
  readonly metrics?: Metrics;
  /**
   * How long a request waits for an unreachable database to come back before it is answered
   * 503 (PostgreSQL restarting or failing over); 0: not at all (SQLite, ADR 048).
   */
  readonly databaseOutageWaitMs?: number;
  /**
   * PostgreSQL: tells whether a request's statements may have committed, so that a change marked
   * `replayableBeforeCommit` whose connection broke before any COMMIT is run again (ADR 048).
   */
  readonly writes?: WriteWatch;
}

export interface PmpRequestContext<T = unknown> {
  readonly caller: Caller;
  readonly input: PmpInput;
  /** The route's input, validated against its schema before the handler runs (ADR 023). */
  readonly fields: T;
  /** Path parameters, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The same parameters exactly as sent, for names whose `+` may mean a space. */
  readonly rawParams: Readonly<Record<string, string>>;
}

export interface PmpSuccess {
  readonly message: string;
  readonly details?: unknown;
  readonly totalRows?: number;
  /**
   * Some answers carry per-item outcomes (ADD ACCOUNTS): the operation as a whole may fail
   * while still listing what happened to each item.
   */
  readonly status?: 'Success' | 'Failed';
  readonly statusCode?: ResultCode;
  /** PKI answers only: more top-level keys after `details` (`SSHKeys`, which clients read). */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface PmpFile {
  readonly file: { readonly fileName: string; readonly contentType: string; readonly content: Buffer };
}

export type PmpResponse = PmpSuccess | PmpFile;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface PmpRouteSpec<T = unknown> {
  readonly method: HttpMethod;
  readonly url: string;
  /** The PMP operation name answered in the envelope, success or failure. */
  readonly operation: string;
  /** Answer the operation under `operationName` instead of `name` (PAM360's newer endpoints). */
  readonly operationKey?: 'operationName';
  /**
   * The A2A operation (RETRIEVE, RESET_LOCAL, RESET_REMOTE, CREATE) this endpoint performs,
   * several when it is a step of any of them (a name lookup), or a function of the input
   * naming it. An application may call only endpoints with an operation it is allowed;
   * endpoints without one are refused to applications (ADR 014).
   */
  readonly a2aOperation?: string | readonly string[] | ((input: PmpInput) => string | undefined);
  /**
   * A change whose every effect is a database write, or comes after one that committed (a remote
   * reset records its pending rotation first, ADR 028): when the database connection broke under
   * it before any statement of it could have committed, it is run again like a read (ADR 048).
   */
  readonly replayableBeforeCommit?: boolean;
  /**
   * Every field the endpoint reads, by name and type (ADR 023): validated as a whole after
   * authentication, before the handler, which gets the result as `fields`. `NO_INPUT` when it
   * reads none.
   */
  readonly schema: InputSchema<T>;
  handle(context: PmpRequestContext<T>): Promise<PmpResponse>;
}

export interface PmpRouter {
  add<T>(spec: PmpRouteSpec<T>): void;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawContentType: string | undefined;
    /** The body the client declared and nobody read yet (it is read after authentication). */
    unreadBody: DeclaredBody | undefined;
    /**
     * Whether the answer was a refusal, for the request metrics: a PMP failure is HTTP 200, so
     * the status code alone does not tell.
     */
    outcome: 'success' | 'failed' | undefined;
  }
}

const REST_CLIENT = 'REST API';

/** A request id taken from X-Request-Id: letters, digits and `._:-`, at most 128 characters. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The HTTPS server and the PMP envelope around every endpoint. Each route is registered
 * through {@link PmpRouter.add}, which authenticates the caller, reads INPUT_DATA in all its
 * shapes, calls the handler and shapes the answer; a handler never sees an unauthenticated
 * request and never builds an envelope itself.
 *
 * Failure rules (compat.md): logical errors are HTTP 200 with "status":"Failed"; an
 * authentication failure is operation "Authentication" without Details; an unknown path, a
 * wrong method, an oversized or unreadable body all still get the JSON envelope.
 *
 * One router, two envelopes: a path under `/api/pki/restapi/` is answered in the PKI shape
 * (top-level `name` and `result`, no `operation`), successes and failures alike, decided by the
 * path alone so an unknown PKI path and a refused token answer in the shape the client parses.
 */
export function createHttpServer(options: HttpServerOptions): {
  app: FastifyInstance;
  router: PmpRouter;
  native: NativeRouter | undefined;
} {
  const app = Fastify({
    // A client certificate is asked for, never required: applications present one (ADR 014),
    // token clients need none. Verification is ours: the fingerprint must be one imported.
    ...(options.tls
      ? {
          https: {
            ...SERVER_TLS_OPTIONS,
            cert: options.tls.cert,
            key: options.tls.key,
            requestCert: options.certificates !== undefined,
            rejectUnauthorized: false,
          },
        }
      : {}),
    logger: {
      level: options.logLevel,
      serializers: {
        // Only method, path and address: headers carry tokens, and the query string may hold
        // AUTHTOKEN or INPUT_DATA with a password.
        req: (req: FastifyRequest) => ({ method: req.method, path: pathOf(req.url), remoteAddress: req.ip }),
      },
    },
    // Per-request logs are off: the audit trail records every access, and a log line per
    // retrieval would cost more than the retrieval. Access logging is the onResponse debug hook.
    logController: new LogController({ disableRequestLogging: true }),
    // The id a load balancer gave the request (X-Request-Id, when it is a plain token), so one
    // request can be followed from HAProxy's log to ours; else a per-process random prefix and
    // a counter: unique enough to quote in error messages, no random numbers per request.
    genReqId: ((prefix: string) => {
      let counter = 0;
      return (req: { headers: Record<string, string | string[] | undefined> }) => {
        const given = req.headers['x-request-id'];
        if (typeof given === 'string' && REQUEST_ID.test(given)) return given;
        return `${prefix}-${(++counter).toString(36)}`;
      };
    })(randomUUID().slice(0, 8)),
    // Odd spellings of one path (case, doubled or trailing slashes) reach the same route,
    // and therefore the same authentication, rather than falling through unauthenticated.
    routerOptions: {
      caseSensitive: false,
      ignoreTrailingSlash: true,
      ignoreDuplicateSlashes: true,
      // Names in paths may be as long as names may be (255 characters, percent-encoded).
      maxParamLength: 2048,
    },
    requestTimeout: options.requestTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs,
    connectionTimeout: options.connectionTimeoutMs,
    return503OnClosing: false,
    // A request line Node's parser refuses (raw UTF-8 in the query, as curl sends it) never
    // reaches Fastify's routing; it still gets the JSON envelope, then the connection closes.
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      const code = (error as { code?: string }).code ?? 'HPE_UNKNOWN';
      const body = failureEnvelope(
        'Unknown',
        new InvalidInputError(
          `the HTTP request cannot be read: ${CLIENT_ERRORS.get(code) ?? 'it is malformed'} (${code})`,
        ),
      );
      socket.end(
        `HTTP/1.1 200 OK\r\nContent-Type: ${PMP_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
    frameworkErrors: (error, request, reply) => {
      void settleUnreadBody(request, reply, options.maxBodyBytes).then(() =>
        isNativePath(pathOf(request.url))
          ? sendNativeError(reply, new InvalidInputError(`the request cannot be read: ${error.message}`))
          : sendText(
              reply,
              failureEnvelope(
                'Unknown',
                new InvalidInputError(`the request cannot be read: ${error.message}`),
                undefined,
                dialectOf(request),
              ),
            ),
      );
    },
  });

  app.decorateRequest('rawContentType', undefined);
  app.decorateRequest('unreadBody', undefined);
  app.decorateRequest('outcome', undefined);
  if (options.metrics) recordAnswers(app, options.metrics);

  // Bodies are read by the route, for every method, and only once the caller is authenticated
  // (ADR 002, ADR 016): PMP clients label urlencoded bodies text/json, send raw JSON with no
  // Content-Type, and put INPUT_DATA in GET bodies. Here the headers that would make Fastify
  // read and parse the body are put aside; the route reads it with readBody.
  app.addHook('onRequest', (request, reply, done) => {
    // Every answer names its request, as the log lines about it do.
    reply.header('x-request-id', request.id);
    const headers = request.raw.headers;
    request.rawContentType = headers['content-type'];
    request.unreadBody = declaredBody(headers);
    delete headers['content-type'];
    delete headers['transfer-encoding'];
    headers['content-length'] = '0';
    done();
  });

  if (['debug', 'trace'].includes(options.logLevel)) {
    // Access log, only when asked for: the audit trail already records every secret access.
    app.addHook('onResponse', async (request, reply) => {
      request.log.debug(
        { path: pathOf(request.url), status: reply.statusCode, ms: reply.elapsedTime },
        'request',
      );
    });
  }

  const patterns: { method: HttpMethod; regex: RegExp }[] = [];
  const peerCertificates = new WeakMap<object, Buffer | null>();

  app.setNotFoundHandler(async (request, reply) => {
    request.outcome = 'failed';
    await settleUnreadBody(request, reply, options.maxBodyBytes);
    const path = pathOf(request.url).replace(/\/{2,}/g, '/');
    const allowed = patterns.filter((p) => p.regex.test(path)).map((p) => p.method);
    const error =
      allowed.length > 0
        ? new MethodNotAllowedError(
            `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(' or ')}`,
          )
        : new UnknownEndpointError(`there is no API endpoint at ${path}`);
    if (isNativePath(path)) return sendNativeError(reply, error);
    if (options.notFound && request.method === 'GET' && (await options.notFound(request, reply)))
      return reply;
    return sendText(reply, failureEnvelope('Unknown', error, undefined, dialectOf(request)));
  });

  // The one place where failures become answers: every handler just throws.
  app.setErrorHandler(async (error: Error, request, reply) => {
    request.outcome = 'failed';
    await settleUnreadBody(request, reply, options.maxBodyBytes);
    const dialect = dialectOf(request);
    const native = isNativePath(pathOf(request.url));
    const fail = (failure: DomainError) =>
      native
        ? sendNativeError(reply, failure)
        : sendText(reply, failureEnvelope(operationOf(request), failure, operationKeyOf(request), dialect));
    if (error instanceof AuthenticationError && !native) {
      return sendText(
        reply,
        envelopeIn(dialect, {
          name: AUTHENTICATION_OPERATION,
          status: 'Failed',
          message: error.message,
          statusCode: error.code,
        }),
      );
    }
    if (error instanceof DomainError) return fail(error);
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('FST_'))
      return fail(new InvalidInputError(error.message));
    if (isUnstorableText(error)) {
      return fail(new InvalidInputError('a value holds a character the database cannot store'));
    }
    if (isUniqueViolation(error)) {
      // Two requests added the same row at once and the database kept the first: this one's
      // transaction was rolled back. A race the caller can retry, not an internal error.
      request.log.warn({ reference: request.id }, 'concurrent duplicate refused by the database');
      return fail(new ConflictError('a concurrent request made the same change at the same time; try again'));
    }
    const fault = storageFaultOf(error);
    if (fault) return sendStorageFault(request, reply, fault, error);
    return sendInternalError(request, reply, error);
  });

  // The console's API: native JSON answers, session cookies (native.ts, ADR 042).
  const native = options.sessions
    ? createNativeRouter(app, {
        sessions: options.sessions,
        maxBodyBytes: options.maxBodyBytes,
        clientIpOf: (request) => clientIpOf(request, options.trustedProxies),
        onRoute: (method, url) => patterns.push({ method, regex: patternOf(url) }),
      })
    : undefined;

  const outlast = outageRider(options.databaseOutageWaitMs ?? 0, options.writes);

  const router: PmpRouter = {
    add(spec) {
      patterns.push({ method: spec.method, regex: patternOf(spec.url) });
      const dialect = dialectOfPath(spec.url);
      app.route({
        method: spec.method,
        url: spec.url,
        config: { operation: spec.operation, operationKey: spec.operationKey },
        handler: async (request, reply) => {
          const origin: CallOrigin = {
            clientIp: clientIpOf(request, options.trustedProxies),
            client: REST_CLIENT,
          };
          // Authentication first, by a token in the headers or the query (or a certificate): the
          // body of a caller without a valid one is never parsed, nor kept (ADR 016).
          const token = extractToken(request.headers, request.url);
          const certificate = token === undefined ? peerCertificateOf(request, peerCertificates) : undefined;
          // Authentication reads (and audits a refusal): it may wait out an outage like a GET.
          const principal = await outlast('read', () =>
            certificate && options.certificates
              ? options.certificates.authenticateCertificate(certificate, origin)
              : options.authenticator.authenticate(token, origin),
          );
          const input = await readRequestInput(
            {
              url: request.url,
              contentType: request.rawContentType,
              body: await bodyOf(request, reply, options.maxBodyBytes),
            },
            { maxFileBytes: options.maxFileBytes },
          );
          if (input.failure) throw input.failure;
          const client = principal.application ? a2aClientLabel(principal.application.name) : origin.client;
          const caller: Caller = { clientIp: origin.clientIp, client, principal };
          if (principal.application) {
            const refusal = a2aRefusal(spec, principal.application, input);
            if (refusal !== undefined) {
              await options.certificates?.auditRefusedOperation(caller, refusal);
              throw new NotPermittedError(refusal);
            }
          }
          // The shape of INPUT_DATA is checked on every endpoint, also those that read no fields.
          input.details();
          const params = request.params as Record<string, string>;
          for (const [name, value] of Object.entries(params)) rejectNul(value, `the ${name} in the path`);
          // The whole input, by the route's schema, before the handler (ADR 023).
          const fields = spec.schema.parse(input);
          const response = await outlast(requestKind(spec), () =>
            spec.handle({
              caller,
              input,
              fields,
              params,
              // Only name lookups need the undecoded segments; most requests never ask.
              get rawParams() {
                return rawParamsOf(spec.url, request.url);
              },
            }),
          );
          request.outcome = 'status' in response && response.status === 'Failed' ? 'failed' : 'success';
          if ('file' in response) {
            return reply
              .header('content-type', response.file.contentType)
              .header('content-disposition', contentDisposition(response.file.fileName))
              .header('x-content-type-options', 'nosniff')
              .send(response.file.content);
          }
          return sendText(
            reply,
            envelopeIn(dialect, {
              name: spec.operation,
              nameKey: spec.operationKey,
              status: response.status ?? 'Success',
              message: response.message,
              statusCode: response.statusCode ?? SUCCESS_CODE,
              details: response.details,
              totalRows: response.totalRows,
              extra: response.extra,
            }),
          );
        },
      });
    },
  };

  return { app, router, native };
}

/**
 * Runs `work` again while the database is unreachable, pausing 100 ms, then twice as long each
 * time up to 1 s, until `waitMs` has passed (ADR 048): a PostgreSQL restart or failover then
 * delays requests instead of failing them. A read is run again after any database-unavailable
 * fault; a change when the connection could not even be made; a replayable change also when
 * none of its statements could have committed (`writes`): a connection lost under a COMMIT may
 * have committed. A read run again may write a second access record for one release: more
 * audit, never less.
 */
function outageRider(waitMs: number, writes: WriteWatch | undefined) {
  return async <T>(kind: RequestKind, work: () => Promise<T>): Promise<T> => {
    if (waitMs <= 0) return work();
    const deadline = performance.now() + waitMs;
    let pause = 100;
    for (;;) {
      let error: unknown;
      let mayHaveCommitted = true;
      if (kind === 'replayable-change' && writes) {
        const observed = await writes.observe(work);
        if (observed.ok) return observed.value;
        ({ error, mayHaveCommitted } = observed);
      } else {
        try {
          return await work();
        } catch (err) {
          error = err;
        }
      }
      const again =
        storageFaultOf(error) === 'database-unavailable' &&
        (kind === 'read' || isConnectFailure(error) || !mayHaveCommitted);
      if (!again || performance.now() + pause > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 1000);
    }
  };
}

type RequestKind = 'read' | 'change' | 'replayable-change';

function requestKind(spec: PmpRouteSpec): RequestKind {
  if (spec.method === 'GET') return 'read';
  return spec.replayableBeforeCommit ? 'replayable-change' : 'change';
}

/**
 * Counts and times every answer by route pattern (never the path: ids and names would make the
 * label set unbounded) and result. A fault of the server (5xx) is an error whatever the route
 * said; a PMP refusal travels as HTTP 200 and is told by `request.outcome`.
 */
function recordAnswers(app: FastifyInstance, metrics: Metrics): void {
  const { httpRequests, httpDuration } = metrics;
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? '(unmatched)';
    const method = request.method;
    const status = reply.statusCode;
    const result = status >= 500 ? 'error' : (request.outcome ?? (status < 400 ? 'success' : 'failed'));
    httpRequests.inc({ method, route, result });
    httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
    done();
  });
}

/**
 * The DER client certificate the TLS peer presented, if any (unverified: the caller checks it).
 * Read once per connection into `seen`: it cannot change on a connection (we do not
 * renegotiate), and keep-alive clients send many requests on one.
 */
function peerCertificateOf(
  request: FastifyRequest,
  seen: WeakMap<object, Buffer | null>,
): Buffer | undefined {
  const socket = request.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  let der = seen.get(socket);
  if (der === undefined) {
    const cert = socket.getPeerCertificate(false) as { raw?: Buffer } | null;
    der = cert?.raw && cert.raw.length > 0 ? cert.raw : null;
    seen.set(socket, der);
  }
  return der ?? undefined;
}

/**
 * The one check of what an application may do: the refusal message, or undefined when the
 * route's operation is allowed. Object permissions are the inherited user's, checked as usual.
 */
function a2aRefusal(
  spec: PmpRouteSpec,
  application: { readonly name: string; readonly operations: readonly string[] },
  input: PmpInput,
): string | undefined {
  const named = typeof spec.a2aOperation === 'function' ? spec.a2aOperation(input) : spec.a2aOperation;
  const operations = named === undefined ? [] : typeof named === 'string' ? [named] : named;
  if (operations.some((op) => application.operations.includes(op))) return undefined;
  return `The application ${application.name} is not allowed to ${operations.length > 0 ? `${operations.join(' or ')} (${spec.operation})` : spec.operation}`;
}

/** What Node's HTTP parser refused, in words (llhttp error codes). */
const CLIENT_ERRORS: ReadonlyMap<string, string> = new Map([
  ['HPE_INVALID_URL', 'the URL holds characters that must be percent-encoded (non-ASCII as UTF-8)'],
  [
    'HPE_INVALID_CONSTANT',
    'the request line is malformed (spaces and non-ASCII characters in the URL must be percent-encoded)',
  ],
  ['HPE_INVALID_METHOD', 'the HTTP method is unknown'],
  ['HPE_INVALID_CONTENT_LENGTH', 'the Content-Length header is not a number'],
  ['HPE_UNEXPECTED_CONTENT_LENGTH', 'Content-Length and Transfer-Encoding are both present'],
  ['HPE_HEADER_OVERFLOW', 'the request headers are too large'],
  ['HPE_INVALID_HEADER_TOKEN', 'a header name or value holds invalid characters'],
  ['HPE_INVALID_TRANSFER_ENCODING', 'the Transfer-Encoding header is invalid'],
  ['HPE_INVALID_CHUNK_SIZE', 'a chunk size of the chunked body is invalid'],
  ['HPE_INVALID_VERSION', 'the HTTP version is invalid'],
]);

const EMPTY_BODY = Buffer.alloc(0);

/** The body of an authenticated request, read now; on failure the connection closes after the answer. */
async function bodyOf(request: FastifyRequest, reply: FastifyReply, limit: number): Promise<Buffer> {
  const declared = request.unreadBody;
  if (declared === undefined) return EMPTY_BODY;
  request.unreadBody = undefined;
  try {
    return await readBody(request.raw, declared, limit);
  } catch (err) {
    reply.header('connection', 'close');
    throw err;
  }
}

/**
 * An answer given before the body was read (no or a wrong token, an unknown path): the rest of
 * the body is read and thrown away, unparsed and up to the body limit, so that a client still
 * sending receives the answer rather than a connection reset; then the connection closes.
 */
async function settleUnreadBody(request: FastifyRequest, reply: FastifyReply, limit: number): Promise<void> {
  const declared = request.unreadBody;
  if (declared === undefined) return;
  request.unreadBody = undefined;
  reply.header('connection', 'close');
  await discardBody(request.raw, declared, limit);
}

function sendText(reply: FastifyReply, body: string): FastifyReply {
  return reply.code(200).header('content-type', PMP_CONTENT_TYPE).send(body);
}

/**
 * A full disk (HTTP 507) or an unreachable database (HTTP 503): not a bug, so logged by name
 * with the driver's code, and answered with the PMP envelope and a code of its own (ADR 022).
 */
function sendStorageFault(
  request: FastifyRequest,
  reply: FastifyReply,
  fault: NonNullable<ReturnType<typeof storageFaultOf>>,
  err: unknown,
): FastifyReply {
  const code = (err as { code?: unknown } | null)?.code;
  const error =
    fault === 'storage-full'
      ? new StorageFullError(`storage is full; nothing was changed. Reference ${request.id}`)
      : new DatabaseUnavailableError(`the database is unavailable; try again later. Reference ${request.id}`);
  // 507 or 503, as the result-code catalogue says.
  const status = error.httpStatus;
  request.log.error(
    { fault, code: typeof code === 'string' ? code : undefined, reference: request.id },
    fault === 'storage-full' ? 'storage is full' : 'database unavailable',
  );
  if (status === 503) reply.header('retry-after', '5');
  if (isNativePath(pathOf(request.url))) return sendNativeError(reply, error);
  return reply
    .code(status)
    .header('content-type', PMP_CONTENT_TYPE)
    .send(failureEnvelope(operationOf(request), error, operationKeyOf(request), dialectOf(request)));
}

function sendInternalError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  // Messages of unexpected errors may quote SQL or values; only the class, where it was thrown
  // and a reference are logged.
  request.log.error(
    { err: { type: (err as Error)?.name, stack: stackFramesOf(err) }, reference: request.id },
    'internal error',
  );
  const message = `Internal server error; nothing was changed. Reference ${request.id}`;
  if (isNativePath(pathOf(request.url))) return sendNativeInternalError(reply, message);
  return reply
    .code(RESULT_CODES.internal.http)
    .header('content-type', PMP_CONTENT_TYPE)
    .send(
      envelopeIn(dialectOf(request), {
        name: operationOf(request),
        status: 'Failed',
        message,
        statusCode: RESULT_CODES.internal.code,
      }),
    );
}

/**
 * The call frames of an error's stack without the message it starts with: a driver's message
 * may quote a value of the request (`invalid input syntax for type integer: "…"`).
 */
export function stackFramesOf(err: unknown): string | undefined {
  const stack = (err as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return undefined;
  return stack
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
}

/** The envelope a request is answered in, by its path (envelope.ts). */
function dialectOf(request: FastifyRequest): EnvelopeDialect {
  return dialectOfPath(pathOf(request.url));
}

function operationOf(request: FastifyRequest): string {
  const config = request.routeOptions?.config as { operation?: string } | undefined;
  return config?.operation ?? 'Unknown';
}

/** Failures answer under the same key as the route's successes (`operationName` on 60, 61). */
function operationKeyOf(request: FastifyRequest): 'operationName' | undefined {
  const config = request.routeOptions?.config as { operationKey?: 'operationName' } | undefined;
  return config?.operationKey;
}

export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** The client's address: the TCP peer, or what a trusted proxy says it forwarded (client-address.ts). */
export function clientIpOf(request: FastifyRequest, trusted: TrustedProxies = NO_TRUSTED_PROXIES): string {
  return clientAddress(
    request.socket.remoteAddress ?? 'unknown',
    request.headers['x-forwarded-for'],
    trusted,
  );
}

/** The path parameters of `pattern` taken from the undecoded request path, segment by segment. */
function rawParamsOf(pattern: string, url: string): Record<string, string> {
  const raw: Record<string, string> = {};
  const names = pattern.split('/');
  const segments = pathOf(url)
    .replace(/\/{2,}/g, '/')
    .replace(/(.)\/$/, '$1')
    .split('/');
  if (names.length !== segments.length) return raw;
  names.forEach((name, i) => {
    if (name.startsWith(':')) raw[name.slice(1)] = segments[i]!;
  });
  return raw;
}

function patternOf(url: string): RegExp {
  const body = url
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${body}/?$`, 'i');
}

function contentDisposition(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

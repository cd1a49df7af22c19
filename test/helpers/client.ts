import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
}

export interface RawRequest {
  readonly method?: string;
  /** Sent exactly as given: no normalisation, no encoding. */
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  /** Send the body with Transfer-Encoding: chunked (8 KiB chunks) instead of Content-Length. */
  readonly chunked?: boolean;
  /** Connect from this local address (any of 127.0.0.0/8 is loopback: another client host). */
  readonly localAddress?: string;
  /** Present this client certificate and key (PEM) in the TLS handshake (A2A applications). */
  readonly clientCert?: { readonly cert: string; readonly key: string };
}

/**
 * A raw HTTPS request over a fresh connection, so tests control every byte that real PMP
 * clients send (a GET with a body, no Content-Type, un-encoded INPUT_DATA, odd header case).
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: url.hostname,
        port: url.port,
        method: request.method ?? 'GET',
        path: request.path,
        headers: {
          ...(request.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(request.body)) }
            : {}),
          ...request.headers,
        },
        rejectUnauthorized: false,
        agent: false,
        ...(request.localAddress !== undefined ? { localAddress: request.localAddress } : {}),
        ...(request.clientCert !== undefined
          ? { cert: request.clientCert.cert, key: request.clientCert.key }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (request.body !== undefined) {
      const bytes = Buffer.from(request.body);
      const step = request.chunked ? 8192 : bytes.length;
      for (let at = 0; at < bytes.length; at += step) req.write(bytes.subarray(at, at + step));
    }
    req.end();
  });
}

export interface PmpAnswer {
  readonly http: RawResponse;
  readonly name: string;
  readonly status: string;
  readonly message: string;
  readonly statusCode: number;
  readonly details: any;
  readonly totalRows: number | undefined;
  readonly raw: any;
}

export function parsePmp(http: RawResponse): PmpAnswer {
  let raw: any;
  try {
    raw = JSON.parse(http.text);
  } catch {
    throw new Error(`not JSON (HTTP ${http.status}): ${http.text.slice(0, 300)}`);
  }
  const op = raw.operation;
  return {
    http,
    name: op?.name,
    status: op?.result?.status,
    message: op?.result?.message,
    statusCode: op?.result?.statusCode,
    details: op?.Details,
    totalRows: op?.totalRows,
    raw,
  };
}

export type TokenTransport = 'header' | 'query' | 'app-header' | 'app-query' | 'header-lowercase';

export interface PmpCall {
  readonly method?: string;
  /** The documented INPUT_DATA object; sent url-encoded in a text/json body by default. */
  readonly input?: unknown;
  readonly token?: string | null;
  readonly transport?: TokenTransport;
  readonly query?: Record<string, string>;
  /** Connect from this local loopback address instead of 127.0.0.1. */
  readonly localAddress?: string;
  /** Present this client certificate and key (PEM) in the TLS handshake. */
  readonly clientCert?: { readonly cert: string; readonly key: string };
}

/**
 * The common shape: token in the AUTHTOKEN header, INPUT_DATA url-encoded in a body labelled
 * text/json (curl --data-urlencode, as in the API document).
 */
export function pmpClient(baseUrl: string, token: string) {
  return async function call(path: string, options: PmpCall = {}): Promise<PmpAnswer> {
    const method = options.method ?? 'GET';
    const useToken = options.token === undefined ? token : options.token;
    const headers: Record<string, string> = {};
    const query = new URLSearchParams(options.query);
    const transport = options.transport ?? 'header';
    if (useToken !== null) {
      if (transport === 'header') headers.AUTHTOKEN = useToken;
      if (transport === 'header-lowercase') headers.authtoken = useToken;
      if (transport === 'app-header') {
        headers.APP_AUTHTOKEN = useToken;
        headers.APP_TYPE = '17';
      }
      if (transport === 'query') query.set('AUTHTOKEN', useToken);
      if (transport === 'app-query') {
        query.set('APP_AUTHTOKEN', useToken);
        query.set('APP_NAME', 'Ansible');
      }
    }
    let body: string | undefined;
    if (options.input !== undefined) {
      headers['Content-Type'] = 'text/json';
      body = `INPUT_DATA=${encodeURIComponent(JSON.stringify(options.input))}`;
    }
    const qs = query.toString();
    const http = await rawRequest(baseUrl, {
      method,
      path: qs ? `${path}?${qs}` : path,
      headers,
      body,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(options.clientCert !== undefined ? { clientCert: options.clientCert } : {}),
    });
    return parsePmp(http);
  };
}

export function details(fields: Record<string, unknown>): {
  operation: { Details: Record<string, unknown> };
} {
  return { operation: { Details: fields } };
}

import https from 'node:https';
import type { RunningServer } from './server.js';

/**
 * PMP calls over one keep-alive agent, as streaming clients send them: INPUT_DATA url-encoded in
 * a text/json body, the token in the AUTHTOKEN header. An answer counts only when it arrived
 * whole: an aborted or incomplete response (the server killed mid-answer) rejects, so the
 * durability tests never take half an answer for an acknowledgement.
 */
export interface StreamAnswer {
  readonly http: number;
  readonly contentType: string | undefined;
  readonly text: string;
  readonly json: any;
  readonly name: string | undefined;
  readonly status: string | undefined;
  readonly statusCode: number | undefined;
  readonly message: string | undefined;
  readonly details: any;
  readonly totalRows: number | undefined;
}

export interface StreamClient {
  request(method: string, path: string, options?: { input?: unknown; token?: string }): Promise<StreamAnswer>;
  close(): void;
}

export function keepAliveClient(
  server: Pick<RunningServer, 'port' | 'token'>,
  sockets: number,
  token = server.token,
): StreamClient {
  const agent = new https.Agent({ keepAlive: true, maxSockets: sockets, rejectUnauthorized: false });
  return {
    request(method, path, options = {}) {
      const input = options.input;
      const body =
        input === undefined ? undefined : `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`;
      const headers: Record<string, string> = { AUTHTOKEN: options.token ?? token };
      if (body !== undefined) {
        headers['Content-Type'] = 'text/json';
        headers['Content-Length'] = String(Buffer.byteLength(body));
      }
      return new Promise<StreamAnswer>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: server.port, method, path, headers, agent },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('aborted', () => reject(new Error('response aborted')));
            res.on('end', () => {
              if (!res.complete) return reject(new Error('response incomplete'));
              const text = Buffer.concat(chunks).toString('utf8');
              let json: any;
              try {
                json = JSON.parse(text);
              } catch {
                return reject(new Error(`not JSON (HTTP ${res.statusCode}): ${text.slice(0, 200)}`));
              }
              const op = json?.operation;
              resolve({
                http: res.statusCode ?? 0,
                contentType: res.headers['content-type'],
                text,
                json,
                name: op?.name,
                status: op?.result?.status,
                statusCode: op?.result?.statusCode,
                message: op?.result?.message,
                details: op?.Details,
                totalRows: op?.totalRows,
              });
            });
          },
        );
        req.setTimeout(30_000, () => req.destroy(new Error('request timed out')));
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}

/** A whole answer with "status":"Success": what a client takes as done. */
export const succeeded = (a: StreamAnswer): boolean =>
  a.http === 200 && a.status === 'Success' && a.text.includes('"status":"Success"');

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web console's files (built by Vite into dist/console, ADR 042), served from memory on the
 * server's own port: read and compressed once at start, answered with a strict Content Security
 * Policy. Paths that are not files are the console's own routes and get index.html; the API
 * paths never reach here (the router answers them, known or not).
 */

/** The console loads only its own scripts and styles, talks only to this server, is never framed. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly brotli: Buffer;
  readonly type: string;
  readonly etag: string;
  /** Vite's hashed files under assets/ never change under their name. */
  readonly immutable: boolean;
}

export interface ConsoleAssets {
  /** Answers a GET with a console file; false when the path is not the console's. */
  serve(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Whether a built console was found (the server runs without one, API only). */
  readonly available: boolean;
}

export function defaultConsoleDir(): string {
  return fileURLToPath(new URL('../console/', import.meta.url));
}

export function loadConsoleAssets(dir: string = defaultConsoleDir()): ConsoleAssets {
  const assets = new Map<string, Asset>();
  if (existsSync(path.join(dir, 'index.html'))) {
    for (const file of walk(dir)) {
      const body = readFileSync(file);
      const relative = `/${path.relative(dir, file).split(path.sep).join('/')}`;
      const type = TYPES[path.extname(file).toLowerCase()];
      if (type === undefined || relative.endsWith('.map')) continue;
      assets.set(relative, {
        body,
        ...compressedForms(file, body),
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: relative.startsWith('/assets/'),
      });
    }
  }
  const index = assets.get('/index.html');

  return {
    available: index !== undefined,
    async serve(request, reply) {
      if (index === undefined) return false;
      const url = request.url;
      const q = url.indexOf('?');
      const pathname = q === -1 ? url : url.slice(0, q);
      const lower = pathname.toLowerCase();
      if (lower.startsWith('/restapi') || lower.startsWith('/api/')) return false;
      let asset = assets.get(safeDecode(pathname) ?? '');
      if (asset === undefined) {
        // A console route (no file extension) is the single page; a missing file is not.
        if (/\.[a-z0-9]+$/i.test(pathname)) return false;
        asset = index;
      }
      send(request, reply, asset);
      return true;
    },
  };
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): void {
  void reply
    .code(200)
    .header('content-type', asset.type)
    .header('etag', asset.etag)
    .header('vary', 'accept-encoding')
    .header('cache-control', asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('content-security-policy', CONSOLE_CSP)
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin')
    .header('strict-transport-security', 'max-age=31536000');
  if (request.headers['if-none-match'] === asset.etag) {
    void reply.code(304).send();
    return;
  }
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (/\bbr\b/.test(accepts)) {
    void reply.header('content-encoding', 'br').send(asset.brotli);
  } else if (/\bgzip\b/.test(accepts)) {
    void reply.header('content-encoding', 'gzip').send(asset.gzip);
  } else {
    void reply.send(asset.body);
  }
}

/**
 * The build writes each file's smallest forms beside it (`.br` at brotli's best quality, `.gz`
 * at gzip's: console/vite.config.ts), because brotli's best quality takes seconds on the
 * bundle and the server must start in well under two (issue 16). A folder built without them
 * (or with stale ones) is compressed here at quick settings instead.
 */
function compressedForms(file: string, body: Buffer): { gzip: Buffer; brotli: Buffer } {
  const prebuilt = (suffix: string): Buffer | undefined => {
    const candidate = `${file}${suffix}`;
    return existsSync(candidate) && statSync(candidate).mtimeMs >= statSync(file).mtimeMs
      ? readFileSync(candidate)
      : undefined;
  };
  return {
    gzip: prebuilt('.gz') ?? gzipSync(body, { level: 6 }),
    brotli: prebuilt('.br') ?? brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } }),
  };
}

function safeDecode(pathname: string): string | undefined {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* walk(full);
    else yield full;
  }
}

import type { IncomingMessage } from 'node:http';
import { PayloadTooLargeError } from '../platform/errors.js';

/**
 * Reads the whole request body, whatever the method (GET bodies carry INPUT_DATA too) and
 * whatever the Content-Type says, refusing anything over `limit` bytes.
 */
export function readBody(raw: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(raw.headers['content-length'] ?? 0);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  const chunked = raw.headers['transfer-encoding'] !== undefined;
  if (!chunked && !(declared > 0)) return Promise.resolve(EMPTY);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('aborted', onAborted);
    };
    const onAborted = () => onError(new Error('request aborted by the client'));
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.on('aborted', onAborted);
  });
}

const EMPTY = Buffer.alloc(0);

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the request body is larger than the limit of ${limit} bytes`);
}

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { PayloadTooLargeError, UnreadableInputError } from '../platform/errors.js';

/**
 * What the headers say about the body: its declared length (undefined when chunked), or
 * undefined for a request without a body. Taken before the headers are rewritten for Fastify.
 */
export interface DeclaredBody {
  readonly length: number | undefined;
  readonly chunked: boolean;
}

export function declaredBody(headers: IncomingHttpHeaders): DeclaredBody | undefined {
  const chunked = headers['transfer-encoding'] !== undefined;
  const length = Number(headers['content-length'] ?? 0);
  if (!chunked && !(length > 0)) return undefined;
  return { length: chunked ? undefined : length, chunked };
}

/**
 * Reads the whole request body, whatever the method (GET bodies carry INPUT_DATA too) and
 * whatever the Content-Type says, refusing anything over `limit` bytes. Called only once the
 * caller is authenticated (ADR 016). Always settles: on the end of the body, a stream error,
 * the client going away (also before this was called) or the limit.
 */
export function readBody(raw: IncomingMessage, declared: DeclaredBody, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  return consume(raw, declared, limit, (chunk) => {
    size += chunk.length;
    if (size > limit) return tooLarge(limit);
    chunks.push(chunk);
    return undefined;
  }).then(() => Buffer.concat(chunks, size));
}

/**
 * Reads and throws away at most `limit` bytes of a body that will not be used (the caller was
 * not authenticated), so that the answer reaches a client still sending instead of being lost
 * to a connection reset. Nothing is parsed or kept. Resolves true when the body was read to
 * its end, false otherwise (too large, aborted, failed); never rejects.
 */
export function discardBody(raw: IncomingMessage, declared: DeclaredBody, limit: number): Promise<boolean> {
  let size = 0;
  return consume(raw, declared, limit, (chunk) => {
    size += chunk.length;
    return size > limit ? tooLarge(limit) : undefined;
  }).then(
    () => true,
    () => false,
  );
}

function consume(
  raw: IncomingMessage,
  declared: DeclaredBody,
  limit: number,
  onChunk: (chunk: Buffer) => Error | undefined,
): Promise<void> {
  if (declared.length !== undefined && declared.length > limit) return Promise.reject(tooLarge(limit));
  if (raw.readableEnded) return Promise.resolve();
  if (raw.destroyed || raw.readableAborted) return Promise.reject(aborted());
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
      raw.off('aborted', onAborted);
      raw.off('close', onClose);
      if (err) {
        // Stop reading: the connection is closed after the answer.
        raw.pause();
        reject(err);
      } else {
        resolve();
      }
    };
    const onData = (chunk: Buffer) => {
      const err = onChunk(chunk);
      if (err) settle(err);
    };
    const onEnd = () => settle(undefined);
    const onError = () => settle(new UnreadableInputError('the request body could not be read'));
    const onAborted = () => settle(aborted());
    // 'close' without 'end': the client went away mid-body.
    const onClose = () => settle(raw.readableEnded ? undefined : aborted());
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.on('aborted', onAborted);
    raw.on('close', onClose);
  });
}

function aborted(): UnreadableInputError {
  return new UnreadableInputError('the request body ended early: the client went away while sending it');
}

function tooLarge(limit: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`the request body is larger than the limit of ${limit} bytes`);
}

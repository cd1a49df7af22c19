import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PayloadTooLargeError, UnreadableInputError } from '../platform/errors.js';
import { declaredBody, discardBody, readBody } from './body.js';

/** A request body stream under the test's control (IncomingMessage is a Readable). */
function stream(): Readable & IncomingMessage {
  return new Readable({ read() {} }) as Readable & IncomingMessage;
}

const CHUNKED = { length: undefined, chunked: true } as const;

describe('declaredBody', () => {
  it('is undefined without Content-Length or Transfer-Encoding, or with length 0', () => {
    expect(declaredBody({})).toBeUndefined();
    expect(declaredBody({ 'content-length': '0' })).toBeUndefined();
  });

  it('notes the declared length, or chunked', () => {
    expect(declaredBody({ 'content-length': '12' })).toEqual({ length: 12, chunked: false });
    expect(declaredBody({ 'transfer-encoding': 'chunked' })).toEqual(CHUNKED);
  });
});

describe('readBody always settles', () => {
  it('resolves with every chunk', async () => {
    const raw = stream();
    const body = readBody(raw, CHUNKED, 100);
    raw.push(Buffer.from('ab'));
    raw.push(Buffer.from('cd'));
    raw.push(null);
    expect((await body).toString()).toBe('abcd');
  });

  it('refuses a declared length over the limit without reading', async () => {
    await expect(readBody(stream(), { length: 101, chunked: false }, 100)).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
  });

  it('refuses a chunked body once it passes the limit', async () => {
    const raw = stream();
    const body = readBody(raw, CHUNKED, 3);
    raw.push(Buffer.from('abcd'));
    await expect(body).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it('rejects when the client went away before the body was asked for (during authentication)', async () => {
    const raw = stream();
    raw.destroy();
    await expect(readBody(raw, CHUNKED, 100)).rejects.toBeInstanceOf(UnreadableInputError);
  });

  it('rejects when the stream closes before its end', async () => {
    const raw = stream();
    const body = readBody(raw, CHUNKED, 100);
    raw.push(Buffer.from('ab'));
    raw.destroy();
    await expect(body).rejects.toBeInstanceOf(UnreadableInputError);
  });

  it('rejects on a stream error, as UnreadableInputError', async () => {
    const raw = stream();
    const body = readBody(raw, CHUNKED, 100);
    raw.destroy(new Error('socket hang up'));
    await expect(body).rejects.toBeInstanceOf(UnreadableInputError);
  });
});

describe('discardBody never rejects', () => {
  it('is true when the body was read to its end, false otherwise', async () => {
    const whole = stream();
    const done = discardBody(whole, CHUNKED, 10);
    whole.push(Buffer.from('abc'));
    whole.push(null);
    expect(await done).toBe(true);

    const large = stream();
    const tooLarge = discardBody(large, CHUNKED, 2);
    large.push(Buffer.from('abc'));
    expect(await tooLarge).toBe(false);

    const broken = stream();
    const failed = discardBody(broken, CHUNKED, 10);
    broken.destroy(new Error('reset'));
    expect(await failed).toBe(false);
  });
});

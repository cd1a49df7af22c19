import type { IncomingHttpHeaders } from 'node:http';
import { describe, it, expect } from 'vitest';
import { readRequestInput, type PmpInput } from './input.js';
import { extractToken } from './token.js';

async function inputFor(url: string, body?: string, contentType?: string): Promise<PmpInput> {
  return readRequestInput(
    { url, contentType, body: body === undefined ? Buffer.alloc(0) : Buffer.from(body, 'utf8') },
    { maxFileBytes: 1024 },
  );
}

describe('extractToken', () => {
  it('reads the authtoken header (Node lower-cases AUTHTOKEN)', async () => {
    const headers: IncomingHttpHeaders = { authtoken: 'ABCD-1234' };
    expect(extractToken(headers, await inputFor('/restapi/json/v1/resources'))).toBe('ABCD-1234');
  });

  it('reads the app_authtoken header (APP_AUTHTOKEN, with APP_TYPE)', async () => {
    const headers: IncomingHttpHeaders = { app_authtoken: 'app-token', app_type: '17' };
    expect(extractToken(headers, await inputFor('/x'))).toBe('app-token');
  });

  it.each(['AUTHTOKEN', 'authtoken', 'AuthToken', 'APP_AUTHTOKEN', 'app_authtoken'])(
    'reads the query parameter %s',
    async (name) => {
      const input = await inputFor(`/x?${name}=q-token&APP_NAME=Ansible`);
      expect(extractToken({}, input)).toBe('q-token');
    },
  );

  it('form-decodes a query token', async () => {
    expect(extractToken({}, await inputFor('/x?AUTHTOKEN=a%2Bb%3D'))).toBe('a+b=');
  });

  it('reads a token sent as a urlencoded body field', async () => {
    const input = await inputFor(
      '/x',
      'AUTHTOKEN=body-token&INPUT_DATA=%7B%7D',
      'application/x-www-form-urlencoded',
    );
    expect(extractToken({}, input)).toBe('body-token');
  });

  it('reads the query token even when INPUT_DATA is malformed', async () => {
    const input = await inputFor('/x?AUTHTOKEN=q-token', 'INPUT_DATA={broken', 'text/json');
    expect(input.failure).toBeDefined();
    expect(extractToken({}, input)).toBe('q-token');
  });

  it('prefers the authtoken header, then app_authtoken, then query AUTHTOKEN, then query APP_AUTHTOKEN', async () => {
    const both = await inputFor('/x?AUTHTOKEN=q1&APP_AUTHTOKEN=q2');
    expect(extractToken({ authtoken: 'h1', app_authtoken: 'h2' }, both)).toBe('h1');
    expect(extractToken({ app_authtoken: 'h2' }, both)).toBe('h2');
    expect(extractToken({}, both)).toBe('q1');
    expect(extractToken({}, await inputFor('/x?APP_AUTHTOKEN=q2'))).toBe('q2');
  });

  it('ignores blank values and falls through to the next source', async () => {
    const input = await inputFor('/x?AUTHTOKEN=+++&APP_AUTHTOKEN=q2');
    expect(extractToken({ authtoken: '', app_authtoken: '  \t' }, input)).toBe('q2');
    expect(extractToken({ authtoken: '  ' }, await inputFor('/x?AUTHTOKEN='))).toBeUndefined();
  });

  it('trims the token', async () => {
    expect(extractToken({ authtoken: '  tok \t' }, await inputFor('/x'))).toBe('tok');
    expect(extractToken({}, await inputFor('/x?AUTHTOKEN=+tok+'))).toBe('tok');
  });

  it('uses the first value of a repeated header', async () => {
    expect(extractToken({ authtoken: ['first', 'second'] }, await inputFor('/x'))).toBe('first');
  });

  it('returns undefined when no token is sent', async () => {
    expect(
      extractToken({ authorization: 'Bearer x', 'x-authtoken': 'y' }, await inputFor('/x?TOKEN=z')),
    ).toBeUndefined();
  });
});

import type { IncomingHttpHeaders } from 'node:http';
import { describe, it, expect } from 'vitest';
import { extractToken } from './token.js';

describe('extractToken', () => {
  it('reads the authtoken header (Node lower-cases AUTHTOKEN)', () => {
    const headers: IncomingHttpHeaders = { authtoken: 'ABCD-1234' };
    expect(extractToken(headers, '/restapi/json/v1/resources')).toBe('ABCD-1234');
  });

  it('reads the app_authtoken header (APP_AUTHTOKEN, with APP_TYPE)', () => {
    const headers: IncomingHttpHeaders = { app_authtoken: 'app-token', app_type: '17' };
    expect(extractToken(headers, '/x')).toBe('app-token');
  });

  it.each(['AUTHTOKEN', 'authtoken', 'AuthToken', 'APP_AUTHTOKEN', 'app_authtoken'])(
    'reads the query parameter %s',
    (name) => {
      const input = `/x?${name}=q-token&APP_NAME=Ansible`;
      expect(extractToken({}, input)).toBe('q-token');
    },
  );

  it('form-decodes a query token', () => {
    expect(extractToken({}, '/x?AUTHTOKEN=a%2Bb%3D')).toBe('a+b=');
  });

  it('reads the query token even when the query INPUT_DATA is malformed', () => {
    expect(extractToken({}, '/x?INPUT_DATA={broken&AUTHTOKEN=q-token')).toBe('q-token');
    expect(extractToken({}, '/x?AUTHTOKEN=q-token&INPUT_DATA={"a":')).toBe('q-token');
  });

  it('takes the last of a repeated query parameter', () => {
    expect(extractToken({}, '/x?AUTHTOKEN=first&AUTHTOKEN=second')).toBe('second');
  });

  it('refuses a token holding a NUL character', () => {
    expect(() => extractToken({}, '/x?AUTHTOKEN=a%00b')).toThrow(/NUL/);
  });

  it('prefers the authtoken header, then app_authtoken, then query AUTHTOKEN, then query APP_AUTHTOKEN', () => {
    const both = '/x?AUTHTOKEN=q1&APP_AUTHTOKEN=q2';
    expect(extractToken({ authtoken: 'h1', app_authtoken: 'h2' }, both)).toBe('h1');
    expect(extractToken({ app_authtoken: 'h2' }, both)).toBe('h2');
    expect(extractToken({}, both)).toBe('q1');
    expect(extractToken({}, '/x?APP_AUTHTOKEN=q2')).toBe('q2');
  });

  it('ignores blank values and falls through to the next source', () => {
    const input = '/x?AUTHTOKEN=+++&APP_AUTHTOKEN=q2';
    expect(extractToken({ authtoken: '', app_authtoken: '  \t' }, input)).toBe('q2');
    expect(extractToken({ authtoken: '  ' }, '/x?AUTHTOKEN=')).toBeUndefined();
  });

  it('trims the token', () => {
    expect(extractToken({ authtoken: '  tok \t' }, '/x')).toBe('tok');
    expect(extractToken({}, '/x?AUTHTOKEN=+tok+')).toBe('tok');
  });

  it('uses the first value of a repeated header', () => {
    expect(extractToken({ authtoken: ['first', 'second'] }, '/x')).toBe('first');
  });

  it('returns undefined when no token is sent', () => {
    expect(extractToken({ authorization: 'Bearer x', 'x-authtoken': 'y' }, '/x?TOKEN=z')).toBeUndefined();
  });
});

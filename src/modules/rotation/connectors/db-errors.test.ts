import { describe, expect, it } from 'vitest';
import { secret } from '../../../platform/crypto/secret.js';
import {
  DeadlineExpired,
  errorCode,
  networkFailure,
  quoted,
  raceDeadline,
  serverText,
  unreachableDetail,
} from './db-errors.js';

describe('the database connectors shared helpers', () => {
  it('serverText removes every secret, also as the server would quote it', () => {
    const password = secret(`it's a \\ "secret"`);
    const text = serverText(
      `refused 'it''s a \\ "secret"' and it\\'s a \\\\ \\"secret\\" and it's a \\ "secret"\u0007 end`,
      [password, undefined, secret('')],
    );
    expect(text).not.toContain('secret');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('\u0007');
    expect(serverText('x'.repeat(400), [])).toHaveLength(301);
  });

  it('quoted drops control characters from names', () => {
    expect(quoted('a\nb\u0000c')).toBe('"abc"');
  });

  it('classifies network errors, also inside an AggregateError', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkFailure(refused)).toBe('unreachable');
    expect(errorCode(new AggregateError([refused]))).toBe('ECONNREFUSED');
    expect(networkFailure(new AggregateError([refused]))).toBe('unreachable');
    expect(networkFailure(Object.assign(new Error(), { code: 'ETIMEDOUT' }))).toBe('timeout');
    expect(networkFailure(Object.assign(new Error(), { code: 'ECONNRESET' }))).toBe('lost');
    expect(networkFailure(new Error('other'))).toBeUndefined();
    expect(unreachableDetail(refused)).toBe('connection refused');
    expect(unreachableDetail(Object.assign(new Error(), { code: 'ENOTFOUND' }))).toBe(
      'host name not resolved',
    );
  });

  it('raceDeadline aborts and rejects at the deadline, and passes a result that comes in time', async () => {
    let aborted = false;
    const started = Date.now();
    await expect(
      raceDeadline(new Promise(() => undefined), Date.now() + 100, () => {
        aborted = true;
      }),
    ).rejects.toBeInstanceOf(DeadlineExpired);
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(raceDeadline(Promise.resolve(7), Date.now() + 1_000, () => undefined)).resolves.toBe(7);
  });
});

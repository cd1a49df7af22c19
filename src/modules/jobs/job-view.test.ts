import { describe, expect, it } from 'vitest';
import { publicResult, publicText, REMOVED } from './job-view.js';

describe('publicResult', () => {
  it('keeps what jobs answer: counts, ids, hosts and outcomes', () => {
    const result = {
      total: 3,
      found: 1,
      details: [
        { host: '127.0.0.95', port: 8443, status: 'FAILURE', message: 'connection refused', known: 0 },
      ],
      rotationId: 7,
      ok: true,
      none: null,
    };
    expect(publicResult(result)).toEqual(result);
  });

  it('drops keys that name secrets at any depth and blanks key material in text', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----';
    expect(
      publicResult({
        password: 'hunter2',
        items: [
          {
            host: 'a',
            newPassword: 'x',
            passphrase: 'y',
            privateKey: 'z',
            apiKey: 'k',
            note: `got ${pem} there`,
          },
        ],
        nested: { clientSecret: 's', token: 't', count: 1 },
      }),
    ).toEqual({ items: [{ host: 'a', note: `got ${REMOVED} there` }], nested: { count: 1 } });
    expect(publicText(`failed: ${pem}`)).toBe(`failed: ${REMOVED}`);
    expect(publicText('x'.repeat(5000))).toHaveLength(2000);
  });
});

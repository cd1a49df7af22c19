import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import type { Caller, CallOrigin } from '../../platform/principal.js';
import type { Services } from '../../services.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';
import { readExpiry } from './identity.input.js';
import type { UserDraft } from './identity.types.js';

/**
 * What the API tests cannot control: time. The identity service on a real SQLite database
 * with a clock the test moves: token expiry at the end of EXPIRYDATE, and the end of a lockout.
 */
describe('identity service with a controlled clock', () => {
  let opened: InProcessServices | undefined;
  let database: Database;
  let services: Services;
  let now = Date.UTC(2030, 5, 10, 9, 0, 0);
  const clock = { now: () => now };
  const origin: CallOrigin = { clientIp: '127.0.0.1', client: 'REST API' };
  let adminCaller: Caller;

  const draft = (fields: Partial<UserDraft>): UserDraft => ({
    username: 'u',
    firstName: undefined,
    lastName: undefined,
    fullName: undefined,
    email: undefined,
    policy: undefined,
    role: 'Password User',
    isSuperAdmin: false,
    password: undefined,
    department: undefined,
    location: undefined,
    isApiUser: true,
    hostName: undefined,
    expiry: { kind: 'never' },
    ...fields,
  });

  beforeAll(async () => {
    opened = await openInProcessServices(clock, origin, {
      authThrottle: { failureLimit: 3, lockoutMs: 60_000, delayStepMs: 0 },
      hostLookup: () => Promise.reject(new Error('no DNS in this test')),
    });
    ({ database, services, admin: adminCaller } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('a token bounded by EXPIRYDATE works through that day and stops at its end', async () => {
    const created = await services.identity.createUser(
      adminCaller,
      draft({ username: 'expiring', expiry: readExpiry('2030-06-11') }),
    );
    const token = created.authToken!;
    await expect(services.identity.authenticate(token, origin)).resolves.toMatchObject({
      username: 'expiring',
    });
    now = Date.UTC(2030, 5, 11, 23, 59, 59);
    const principal = await services.identity.authenticate(token, origin);
    expect(principal.username).toBe('expiring');
    // A regenerated token keeps the user's bound.
    const { authToken: fresh } = await services.identity.regenerateToken({ ...origin, principal });
    await expect(services.identity.authenticate(token, origin)).rejects.toThrow(/not associated to any user/);
    await expect(services.identity.authenticate(fresh, origin)).resolves.toMatchObject({
      username: 'expiring',
    });
    now = Date.UTC(2030, 5, 12, 0, 0, 0);
    await expect(services.identity.authenticate(fresh, origin)).rejects.toThrow(
      'The API key has expired. Authentication failed.',
    );
  });

  it('refuses an EXPIRYDATE before today', async () => {
    now = Date.UTC(2030, 5, 20, 12);
    await expect(
      services.identity.createUser(
        adminCaller,
        draft({ username: 'late', expiry: readExpiry('2030-06-19') }),
      ),
    ).rejects.toThrow(/EXPIRYDATE is in the past/);
  });

  it('a wrong key is locked out from its address until the configured time; valid keys never are', async () => {
    const ip: CallOrigin = { clientIp: '10.9.8.7', client: 'REST API' };
    const elsewhere: CallOrigin = { clientIp: '10.9.8.8', client: 'REST API' };
    const created = await services.identity.createUser(adminCaller, draft({ username: 'behind-nat' }));
    for (let i = 0; i < 3; i++) {
      await expect(services.identity.authenticate('WRONG', ip)).rejects.toThrow(/not associated to any user/);
    }
    await expect(services.identity.authenticate('WRONG', ip)).rejects.toThrow(
      /with this credential from this address; try again in 60 seconds/,
    );
    // Other keys from the same address: a valid one works, another wrong one is judged on its own.
    await expect(services.identity.authenticate(created.authToken, ip)).resolves.toMatchObject({
      username: 'behind-nat',
    });
    await expect(services.identity.authenticate('ALSO-WRONG', ip)).rejects.toThrow(
      /not associated to any user/,
    );
    // The same wrong key from another address is not locked out there.
    await expect(services.identity.authenticate('WRONG', elsewhere)).rejects.toThrow(
      /not associated to any user/,
    );
    now += 60_000;
    await expect(services.identity.authenticate('WRONG', ip)).rejects.toThrow(/not associated to any user/);
  });

  it('enrolled TOTP secrets are sealed, and resetMfa clears them', async () => {
    const created = await services.identity.createUser(adminCaller, draft({ username: 'totp-user' }));
    await services.identity.enrollTotp(created.userId, new Secret('JBSWY3DPEHPK3PXP'));
    const read = () =>
      database.db
        .selectFrom('users')
        .select('totp_secret_sealed')
        .where('id', '=', created.userId)
        .executeTakeFirstOrThrow();
    const sealed = (await read()).totp_secret_sealed;
    expect(sealed).not.toBeNull();
    expect(Buffer.from(sealed!).toString('latin1')).not.toContain('JBSWY3DPEHPK3PXP');
    await services.identity.resetMfa(adminCaller, 'TOTP-USER');
    expect((await read()).totp_secret_sealed).toBeNull();
  });

  it('a host name that does not resolve is refused at creation', async () => {
    await expect(
      services.identity.createUser(adminCaller, draft({ username: 'h', hostName: 'nowhere.invalid' })),
    ).rejects.toThrow('HOSTNAME nowhere.invalid does not resolve to any address');
  });
});

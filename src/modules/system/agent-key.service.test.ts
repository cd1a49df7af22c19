import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import type { Caller, CallOrigin } from '../../platform/principal.js';
import type { Services } from '../../services.js';
import { openInProcessServices, type InProcessServices } from '../../../test/helpers/in-process.js';

/**
 * Agent authentication with the key (ADR 013), with a clock the test moves: a multi-use key
 * works until its end, a single-use key once, a replaced key never.
 */
describe('agent key verification', () => {
  let opened: InProcessServices | undefined;
  let database: Database;
  let services: Services;
  let now = Date.UTC(2030, 5, 10, 9, 0, 0);
  const clock = { now: () => now };
  const origin: CallOrigin = { clientIp: '10.0.0.7', client: 'Agent' };
  let admin: Caller;

  beforeAll(async () => {
    opened = await openInProcessServices(clock, origin);
    ({ database, services, admin } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  const verify = (key: string) => services.agentKeys.verify(new Secret(key), origin);

  it('accepts a key with a validity period until it expires, then counts it as none', async () => {
    const { key, expiresAt } = await services.agentKeys.generate(admin, { validityHours: 2 });
    expect(expiresAt).toBe(now + 2 * 3_600_000);
    expect(await verify(key.reveal())).toBe(true);
    expect(await verify(key.reveal().toUpperCase())).toBe(true);
    expect(await verify(key.reveal())).toBe(true);
    expect(await verify('0'.repeat(32))).toBe(false);
    expect(await verify('not a key')).toBe(false);
    now += 2 * 3_600_000 - 1;
    expect(await verify(key.reveal())).toBe(true);
    now += 1;
    expect(await verify(key.reveal())).toBe(false);
    expect(await services.agentKeys.status(admin)).toEqual({ exists: false });
  });

  it('accepts a single-use key once; a new key replaces the old one at once', async () => {
    const single = await services.agentKeys.generate(admin, {});
    expect(single.singleUse).toBe(true);
    expect((await services.agentKeys.status(admin)).exists).toBe(true);
    expect(await verify(single.key.reveal())).toBe(true);
    expect(await verify(single.key.reveal())).toBe(false);
    expect(await services.agentKeys.status(admin)).toEqual({ exists: false });

    const first = await services.agentKeys.generate(admin, { validityHours: 5 });
    const second = await services.agentKeys.generate(admin, { validityHours: 5 });
    expect(await verify(first.key.reveal())).toBe(false);
    expect(await verify(second.key.reveal())).toBe(true);
  });

  it('audits generation and use without the key', async () => {
    const { key } = await services.agentKeys.generate(admin, { validityHours: 1 });
    await verify(key.reveal());
    const trail = await database.db.selectFrom('audit_records').selectAll().execute();
    const text = JSON.stringify(trail);
    expect(text).toContain('Agent Key Generated');
    expect(text).toContain('Agent Key Used');
    expect(text).not.toContain(key.reveal());
    const stored = await database.db.selectFrom('agent_keys').select('key_hash').execute();
    expect(JSON.stringify(stored)).not.toContain(key.reveal());
  });
});

/**
 * The services on a real SQLite file in a temp directory, without HTTP: for tests that control
 * what the API tests cannot, such as the clock. The instance is created and opened exactly as
 * `bulwark init` and `bulwark serve` do (src/instance.ts); the admin is bootstrapped and
 * authenticated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { initInstance, openInstance, type ServiceOverrides } from '../../src/instance.js';
import type { Database } from '../../src/platform/db/database.js';
import type { Clock } from '../../src/platform/clock.js';
import type { Caller, CallOrigin } from '../../src/platform/principal.js';
import type { Services } from '../../src/services.js';

export interface InProcessServices {
  readonly database: Database;
  readonly services: Services;
  /** The bootstrapped super administrator, calling from `origin`. */
  readonly admin: Caller;
  close(): Promise<void>;
}

export async function openInProcessServices(
  clock: Clock,
  origin: CallOrigin,
  options: ServiceOverrides = {},
): Promise<InProcessServices> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-in-process-'));
  // Only the time zone from outside: the database is this directory's SQLite file whatever the environment says.
  const config = loadConfig({ BULWARK_TIMEZONE: 'UTC' }, { dataDir: path.join(dir, 'data') });
  try {
    const credentials = await initInstance(config, clock, origin);
    const instance = await openInstance(config, clock, options);
    const { services, database } = instance;
    const principal = await services.identity
      .authenticate(credentials.authToken, origin)
      .catch(async (err: unknown) => {
        await instance.close();
        throw err;
      });
    const admin = { ...origin, principal };
    return {
      database,
      services,
      admin,
      async close() {
        await instance.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

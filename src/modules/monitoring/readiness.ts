import { sql } from 'kysely';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Database } from '../../platform/db/database.js';
import { allMigrations } from '../../platform/db/migrations/index.js';

/** One check of /readyz: whether it passed, and in words why not (never a secret or a URL). */
export interface ReadinessCheck {
  readonly ok: boolean;
  readonly problem?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: {
    readonly database: ReadinessCheck;
    readonly migrations: ReadinessCheck;
    readonly keys: ReadinessCheck;
    readonly serving: ReadinessCheck;
  };
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
  /** The server is shutting down: not ready from now on, so a load balancer drains this node. */
  stopServing(): void;
}

/** How long the database may take to answer `select 1` before this node counts as not ready. */
const DATABASE_TIMEOUT_MS = 2000;

/**
 * What /readyz answers (issue 17): the database answers, every migration this code knows is
 * applied (a newer node may have applied more: that is still ready), the keyring seals and
 * opens (the master key unwrapped the data keys), and the server is not shutting down.
 */
export function createReadiness(deps: { readonly database: Database; readonly keyring: Keyring }): Readiness {
  const { database, keyring } = deps;
  const known = Object.keys(allMigrations(database.dialect));
  let serving = true;

  const withTimeout = async <T>(work: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${DATABASE_TIMEOUT_MS} ms`)),
        DATABASE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const databaseCheck = async (): Promise<ReadinessCheck> => {
    try {
      await withTimeout(sql`select 1`.execute(database.db));
      return { ok: true };
    } catch (err) {
      return { ok: false, problem: `the database does not answer: ${describe(err)}` };
    }
  };

  const migrationsCheck = async (): Promise<ReadinessCheck> => {
    try {
      const rows = await withTimeout(
        sql<{ name: string }>`select name from schema_migrations`.execute(database.db),
      );
      const applied = new Set(rows.rows.map((r) => r.name));
      const pending = known.filter((name) => !applied.has(name));
      return pending.length === 0
        ? { ok: true }
        : { ok: false, problem: `${pending.length} migration(s) not applied, first ${pending[0]}` };
    } catch (err) {
      return { ok: false, problem: `the applied migrations cannot be read: ${describe(err)}` };
    }
  };

  const keysCheck = (): ReadinessCheck => {
    try {
      const context = { table: 'readiness', rowId: 0, column: 'probe' };
      const opened = keyring.open(keyring.seal('probe', context), context).toString();
      return opened === 'probe' ? { ok: true } : { ok: false, problem: 'the keyring does not round-trip' };
    } catch {
      return { ok: false, problem: 'the data keys are not loaded' };
    }
  };

  return {
    async check() {
      const [databaseResult, migrations] = await Promise.all([databaseCheck(), migrationsCheck()]);
      const checks = {
        database: databaseResult,
        migrations,
        keys: keysCheck(),
        serving: serving ? { ok: true } : { ok: false, problem: 'the server is shutting down' },
      };
      return { ready: Object.values(checks).every((c) => c.ok), checks };
    },
    stopServing() {
      serving = false;
    },
  };
}

/**
 * A driver error in a few words: its code when it has one. The message of a connection error
 * can hold the host and user of the database URL, which /readyz must not show without a token.
 */
function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
  const message = err instanceof Error ? err.message : '';
  return message.startsWith('no answer within') ? message : 'error';
}

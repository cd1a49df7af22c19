/**
 * Which statements a piece of work sent that may have committed something (ADR 048): a COMMIT
 * (or END), or a statement outside a transaction that is not a plain SELECT. PostgreSQL only.
 *
 * Why: a request whose connection broke under it (PostgreSQL restarting, `57P01`) may be run
 * again only if nothing of it can have landed. A transaction that broke before its COMMIT was
 * sent did not commit; one that broke during the COMMIT may have. The watch is conservative: a
 * statement it cannot read counts as a write, and a COMMIT counts from the moment it is sent.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';

export type Observed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown; readonly mayHaveCommitted: boolean };

export interface WriteWatch {
  /** Runs `work`; when it throws, says whether any statement it sent may have committed. */
  observe<T>(work: () => Promise<T>): Promise<Observed<T>>;
}

const IN_TRANSACTION = Symbol('bulwark.inTransaction');
type WatchedClient = pg.PoolClient & { [IN_TRANSACTION]?: boolean };

function textOf(query: unknown): string {
  if (typeof query === 'string') return query;
  const text = (query as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

export function createWriteWatch(): WriteWatch & { watch(client: pg.PoolClient): void } {
  // One scope per observed piece of work; statements sent outside any scope are not counted.
  const scopes = new AsyncLocalStorage<{ mayHaveCommitted: boolean }>();

  function mark(): void {
    const scope = scopes.getStore();
    if (scope) scope.mayHaveCommitted = true;
  }

  function note(client: WatchedClient, sql: string): void {
    // The first words decide; retrieval statements are long, and this runs for every statement.
    const words = sql.trimStart().slice(0, 24).toLowerCase();
    const verb = /^[a-z]*/.exec(words)?.[0] ?? '';
    if (verb === 'begin' || verb === 'start') {
      client[IN_TRANSACTION] = true;
    } else if (verb === 'commit' || verb === 'end') {
      client[IN_TRANSACTION] = false;
      mark();
    } else if (verb === 'rollback' && !/^rollback\s+to\b/.test(words)) {
      client[IN_TRANSACTION] = false;
    } else if (!client[IN_TRANSACTION] && verb !== 'select') {
      // Outside a transaction every statement commits on its own.
      mark();
    }
  }

  return {
    /** Counts the statements of a pooled client (called once per new connection). */
    watch(client: pg.PoolClient): void {
      const watched = client as WatchedClient;
      const query = watched.query.bind(watched) as (...args: unknown[]) => unknown;
      (watched as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        note(watched, textOf(args[0]));
        return query(...args);
      };
    },

    async observe<T>(work: () => Promise<T>): Promise<Observed<T>> {
      const scope = { mayHaveCommitted: false };
      try {
        return { ok: true, value: await scopes.run(scope, work) };
      } catch (error) {
        return { ok: false, error, mayHaveCommitted: scope.mayHaveCommitted };
      }
    },
  };
}

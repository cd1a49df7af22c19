import { createHash } from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { Executor } from './database.js';
import type { Schema } from './schema.js';

/**
 * A query built and compiled once per database handle and then executed with fresh
 * parameters. Kysely's builder (immutable nodes, parsing, compilation) costs several times
 * what SQLite needs to answer a primary-key lookup; on the retrieval hot path that overhead is
 * paid once instead of per request.
 *
 * The builder receives placeholder values; at execution the placeholders are replaced, by
 * identity, with the real values in the order Kysely placed them.
 */
/**
 * A synchronous reader for a database handle (SQLite): runs a query at once when the
 * connection is free, else answers undefined. Keyed by handle; transactions have none.
 */
export type ImmediateReader = <R>(sql: string, parameters: readonly unknown[]) => R[] | undefined;

const immediateReaders = new WeakMap<object, ImmediateReader>();

export function bindImmediateReader(db: Executor, reader: ImmediateReader): void {
  immediateReaders.set(db, reader);
}

/**
 * Runs a query as a named prepared statement (PostgreSQL's pool): parsed and planned once per
 * connection. Keyed by handle; transactions have none and go through Kysely.
 */
export type PreparedRunner = (name: string, sql: string, parameters: unknown[]) => Promise<unknown[]>;

const preparedRunners = new WeakMap<object, PreparedRunner>();

export function bindPreparedRunner(db: Executor, runner: PreparedRunner): void {
  preparedRunners.set(db, runner);
}

/** A statement name derived from its text, so equal text on a connection is prepared once. */
function statementName(sql: string): string {
  return `bulwark_${createHash('sha256').update(sql).digest('hex').slice(0, 24)}`;
}

export function precompiled<Params extends readonly unknown[], Row>(
  build: (db: Kysely<Schema>, ...placeholders: { [K in keyof Params]: never }) => Compilable<Row>,
  arity: Params['length'],
): (db: Executor, ...params: Params) => Promise<Row[]> {
  const cache = new WeakMap<Executor, { compiled: CompiledQuery<Row>; slots: number[]; name: string }>();
  const placeholders = Array.from({ length: arity }, (_, i) => `\u0000precompiled-parameter-${i}\u0000`);

  const compile = (db: Executor) => {
    const compiled = build(db, ...(placeholders as never)).compile();
    const slots = compiled.parameters.map((p) => {
      const index = placeholders.indexOf(p as string);
      if (index === -1) throw new Error('precompiled queries take every value as a parameter');
      return index;
    });
    return { compiled, slots, name: statementName(compiled.sql) };
  };

  return async (db, ...params) => {
    let entry = cache.get(db);
    if (entry === undefined) {
      entry = compile(db);
      cache.set(db, entry);
    }
    const { compiled, slots, name } = entry;
    const parameters = slots.map((i) => params[i]);
    const immediate = immediateReaders.get(db)?.<Row>(compiled.sql, parameters);
    if (immediate !== undefined) return immediate;
    const prepared = preparedRunners.get(db);
    if (prepared !== undefined) return (await prepared(name, compiled.sql, parameters)) as Row[];
    const result = await db.executeQuery<Row>({ ...compiled, parameters });
    return result.rows;
  };
}

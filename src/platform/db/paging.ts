import type { SelectQueryBuilder } from 'kysely';

/**
 * One page of a filtered query and the total number of its matches, from one statement, so
 * from one snapshot (two statements on PostgreSQL's pool saw two moments: a total of 1 beside an
 * empty page). The total is an uncorrelated scalar subquery of the same filtered query, which
 * SQLite and PostgreSQL evaluate once; a window `count(*) over ()` would materialise every match
 * (25 times slower on SQLite, docs/performance.md). A page past the end carries no total, so
 * only then is it counted on its own.
 *
 * `filtered` is the query with its FROM and WHERE only; `page` adds the columns, the order, the
 * limit and the offset.
 */
export async function pageWithTotal<DB, TB extends keyof DB, O>(
  filtered: SelectQueryBuilder<DB, TB, object>,
  page: (query: SelectQueryBuilder<DB, TB, object>) => SelectQueryBuilder<DB, TB, O>,
): Promise<{ rows: O[]; total: number }> {
  const count = filtered.select((eb) => eb.fn.countAll<number | string>().as('n'));
  const found = (await page(filtered.select(count.as('total_rows'))).execute()) as (O & {
    total_rows: number | string;
  })[];
  if (found.length > 0) {
    const total = Number(found[0]!.total_rows);
    return { rows: found.map(({ total_rows: _total, ...row }) => row as O), total };
  }
  const counted = (await count.executeTakeFirstOrThrow()) as { n: number | string };
  return { rows: [], total: Number(counted.n) };
}

/**
 * A LIKE pattern matching `text` anywhere, in lower case, with `\`, `%` and `_` escaped: use it
 * with `lower(column) like ${pattern} escape '\'`, so what a user types is text, never a pattern.
 */
export function containsPattern(text: string): string {
  return `%${escapeLike(text.toLowerCase())}%`;
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

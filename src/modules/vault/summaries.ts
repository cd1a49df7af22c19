import type { Caller } from '../../platform/principal.js';
import type { VaultContext } from './vault.context.js';
import { passwordExpired } from './vault.types.js';

const DAY_MS = 86_400_000;

/** Age buckets of the dashboard, in days since the password last changed. */
export const PASSWORD_AGE_BUCKETS = [
  { label: 'under 30 days', maxDays: 30 },
  { label: '30 to 90 days', maxDays: 90 },
  { label: '90 to 180 days', maxDays: 180 },
  { label: '180 days to a year', maxDays: 365 },
  { label: 'over a year', maxDays: Number.POSITIVE_INFINITY },
] as const;

export interface PasswordAgeSummary {
  readonly accounts: number;
  readonly byAge: readonly { readonly label: string; readonly count: number }[];
  /** Past the validity period of the policy that governs them (ADR 029). */
  readonly expired: number;
}

/** Summaries over the accounts a caller may see, for the console's dashboard (ADR 042). */
export function summaryOperations(ctx: VaultContext) {
  const { db, access, clock, effectivePolicy, policies } = ctx;

  return {
    async passwordAges(caller: Caller): Promise<PasswordAgeSummary> {
      const scope = access.accountScope(caller.principal);
      let query = db
        .selectFrom('accounts')
        .innerJoin('resources', 'resources.id', 'accounts.resource_id')
        .select([
          'accounts.password_changed_at',
          'accounts.password_policy as account_policy',
          'resources.id as resource_id',
          'resources.password_policy as resource_policy',
        ]);
      if (scope.kind === 'user') query = query.where('accounts.id', 'in', scope.accountIds(db));
      const rows = await query.execute();
      const now = clock.now();
      const counts = PASSWORD_AGE_BUCKETS.map(() => 0);
      // The governing policy depends on the account's, the resource's and (when both are unset)
      // the resource's groups'; one lookup per distinct combination.
      const validity = new Map<string, Promise<number>>();
      // A resource's groups matter only when some group names a policy (rare): otherwise the
      // policy depends on the account's and the resource's alone, one lookup per pair, instead
      // of a group query per resource on a dashboard over thousands of them.
      const groupPolicies = await db
        .selectFrom('resource_groups')
        .select('id')
        .where('password_policy', 'is not', null)
        .limit(1)
        .executeTakeFirst();
      let expired = 0;
      for (const row of rows) {
        const changedAt = Number(row.password_changed_at);
        const days = (now - changedAt) / DAY_MS;
        counts[PASSWORD_AGE_BUCKETS.findIndex((b) => days < b.maxDays)]! += 1;
        const byGroup =
          groupPolicies !== undefined && row.account_policy === null && row.resource_policy === null;
        const key = byGroup
          ? `group:${row.resource_id}`
          : `${row.account_policy ?? ''}\u0000${row.resource_policy ?? ''}`;
        let days$ = validity.get(key);
        if (days$ === undefined) {
          days$ = (
            byGroup
              ? effectivePolicy(db, null, { id: Number(row.resource_id), password_policy: null })
              : policies.effective(db, [row.account_policy, row.resource_policy])
          ).then((p) => p.rules.validityDays);
          validity.set(key, days$);
        }
        if (passwordExpired(changedAt, await days$, now)) expired++;
      }
      return {
        accounts: rows.length,
        byAge: PASSWORD_AGE_BUCKETS.map((b, i) => ({ label: b.label, count: counts[i]! })),
        expired,
      };
    },
  };
}

import { sql } from 'kysely';

/**
 * Whether resource `r` matches criterion row `c` (ADR 012): one static SQL expression over the
 * stored, escaped LIKE patterns, so criteria values never become SQL text.
 */
const CRITERION_MATCHES = sql`(case c.field
    when 'name' then lower(r.name) like c.pattern escape '!'
    when 'resource_type' then lower(r.resource_type) like c.pattern escape '!'
    when 'dns_name' then lower(coalesce(r.dns_name, '')) like c.pattern escape '!'
    when 'description' then lower(coalesce(r.description, '')) like c.pattern escape '!'
    when 'department' then lower(coalesce(r.department, '')) like c.pattern escape '!'
    when 'location' then lower(coalesce(r.location, '')) like c.pattern escape '!'
    when 'login_name' then exists (select 1 from accounts a
      where a.resource_id = r.id and lower(a.name) like c.pattern escape '!')
    when 'custom' then exists (select 1 from custom_fields f
      where f.owner_kind = 'resource' and f.owner_id = r.id and f.label_key = c.custom_label_key
        and lower(coalesce(f.value_text, '')) like c.pattern escape '!')
    else false end) <> (c.negate = 1)`;

/** Whether resource `r` belongs to dynamic group `g`: all criteria (and) or one of them (or). */
export const DYNAMIC_MEMBER = sql`(case when g.match_all = 1
    then not exists (select 1 from resource_group_criteria c where c.group_id = g.id and not (${CRITERION_MATCHES}))
    else exists (select 1 from resource_group_criteria c where c.group_id = g.id and (${CRITERION_MATCHES})) end)`;

/**
 * The ids of the resources of group `groupId` as resource groups define membership (ADR 012):
 * static members, resources of member accounts, dynamic matches, for the group and every
 * subgroup. A subquery for `resources.id in (…)`.
 */
export function groupResourceIds(groupId: number) {
  return sql<{ id: number }>`(with recursive closure(id) as (
      select id from resource_groups where id = ${groupId}
    union
      select g.id from resource_groups g join closure c on g.parent_id = c.id
  )
  select r.id from resources r
  where exists (select 1 from closure k join resource_groups g on g.id = k.id
    where exists (select 1 from resource_group_members gm where gm.group_id = g.id and gm.resource_id = r.id)
       or exists (select 1 from resource_group_accounts ga join accounts a on a.id = ga.account_id
                  where ga.group_id = g.id and a.resource_id = r.id)
       or (g.group_type = 'dynamic' and ${DYNAMIC_MEMBER})))`;
}

import type { Database, Executor } from '../../platform/db/database.js';
import { isUniqueViolation } from '../../platform/db/errors.js';
import {
  ConflictError,
  FieldInputError,
  InvalidInputError,
  NotFoundError,
  NotPermittedError,
} from '../../platform/errors.js';
import type { Secret } from '../../platform/crypto/secret.js';
import { authoriseAdministrator, type Administrator } from '../access/index.js';
import { AuditOperation, type AuditActor, type AuditService } from '../audit/index.js';
import { generatePassword, policyViolation, type CheckContext } from './policy-engine.js';
import { policiesRepository as repo, policyNameKey } from './policies.repository.js';
import {
  contradictingRule,
  LENIENT_RULES,
  type PasswordPolicy,
  type PolicyDraft,
  type PolicyRules,
} from './policies.types.js';

/**
 * What other modules need: the policy a name means, the default, the effective policy of an
 * account (its own, else its resource's, else the default), and the pure checker.
 */
export interface PolicyCatalog {
  /** The policy's canonical name, or undefined if no policy has that name (case-insensitive). */
  resolve(db: Executor, name: string): Promise<string | undefined>;
  /** A policy by name (case-insensitive), or by id when `nameOrId` is all digits and no name matches. */
  find(db: Executor, nameOrId: string): Promise<PasswordPolicy | undefined>;
  defaultPolicy(db: Executor): Promise<PasswordPolicy>;
  /** The first of `names` that names a policy, else the default. */
  effective(db: Executor, names: readonly (string | null | undefined)[]): Promise<PasswordPolicy>;
  /** The first rule `candidate` breaks under `policy`, or undefined. Never quotes the password. */
  violation(policy: PasswordPolicy, candidate: Secret, context?: CheckContext): string | undefined;
}

export interface PolicyServiceDeps {
  readonly database: Database;
  readonly audit: AuditService;
}

export type PolicyService = ReturnType<typeof createPolicyService>;

export function createPolicyService({ database, audit }: PolicyServiceDeps) {
  const db = database.db;

  const authorise = (editor: Administrator): AuditActor =>
    authoriseAdministrator(editor, 'password policies');

  async function find(executor: Executor, nameOrId: string): Promise<PasswordPolicy | undefined> {
    const byName = await repo.findByKey(executor, policyNameKey(nameOrId));
    if (byName) return byName;
    const trimmed = nameOrId.trim();
    if (/^\d{1,15}$/.test(trimmed)) return repo.findById(executor, Number(trimmed));
    return undefined;
  }

  async function defaultPolicy(executor: Executor): Promise<PasswordPolicy> {
    const policy = await repo.findDefault(executor);
    // The migration seeds a default and edits keep one; a database without is damaged.
    if (!policy) throw new Error('no default password policy is stored');
    return policy;
  }

  async function existing(executor: Executor, id: number): Promise<PasswordPolicy> {
    const policy = await repo.findById(executor, id);
    if (!policy) throw new NotFoundError(`Password policy ${id} does not exist`);
    return policy;
  }

  /** The rule at fault is named as the field `rules.<rule>` (the console shows it there). */
  function checkedRules(rules: PolicyRules): PolicyRules {
    const problem = contradictingRule(rules);
    if (problem) {
      throw new FieldInputError(`rules.${problem.rule}`, `Contradictory password policy: ${problem.message}`);
    }
    return rules;
  }

  const event = (operation: string, name: string) => ({
    auditType: 'User' as const,
    operation,
    reason: `Password policy: ${name}`,
  });

  async function inTransaction<T>(work: (trx: Executor) => Promise<T>, name: string): Promise<T> {
    try {
      return await db.transaction().execute(work);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`Password policy ${name} already exists`);
      throw err;
    }
  }

  function describeUsage(u: { resources: number; accounts: number; users: number }): string | undefined {
    const parts = [
      u.resources > 0 ? `${u.resources} resource(s)` : '',
      u.accounts > 0 ? `${u.accounts} account(s)` : '',
      u.users > 0 ? `${u.users} user(s)` : '',
    ].filter(Boolean);
    return parts.length > 0 ? parts.join(', ') : undefined;
  }

  return {
    // ---- the catalogue other modules use ---------------------------------------------
    async resolve(executor: Executor, name: string) {
      return (await repo.findByKey(executor, policyNameKey(name)))?.name;
    },
    find,
    defaultPolicy,
    async effective(executor: Executor, names: readonly (string | null | undefined)[]) {
      for (const name of names) {
        if (name === null || name === undefined) continue;
        const policy = await repo.findByKey(executor, policyNameKey(name));
        if (policy) return policy;
      }
      return defaultPolicy(executor);
    },
    violation(policy: PasswordPolicy, candidate: Secret, context?: CheckContext) {
      return policyViolation(policy.rules, candidate.reveal(), context);
    },

    // ---- endpoints 77, 16, 86 --------------------------------------------------------
    /** Endpoint 77: open to every user, as in the original (a user needs names to pick one). */
    async list(): Promise<PasswordPolicy[]> {
      return repo.list(db);
    },

    /** Endpoint 16: a fresh password satisfying the named policy, or the default one. */
    async generate(policyName: string | undefined): Promise<{ policy: PasswordPolicy; password: string }> {
      const policy = policyName === undefined ? await defaultPolicy(db) : await find(db, policyName);
      if (!policy)
        throw new InvalidInputError(
          `POLICY: there is no password policy named "${policyName!.slice(0, 60)}"`,
        );
      return { policy, password: generatePassword(policy.rules) };
    },

    /** Endpoint 86: the failed rule, or undefined for Valid. */
    async validate(password: Secret, policyRef: string): Promise<string | undefined> {
      const policy = await find(db, policyRef);
      if (!policy) throw new InvalidInputError(`There is no password policy "${policyRef.slice(0, 60)}"`);
      return policyViolation(policy.rules, password.reveal());
    },

    // ---- administration (native endpoint and CLI) ------------------------------------
    async create(editor: Administrator, draft: PolicyDraft): Promise<PasswordPolicy> {
      const actor = authorise(editor);
      if (!draft.name) throw new InvalidInputError('POLICYNAME is mandatory and was not given', 40002);
      const name = draft.name;
      const rules = checkedRules({ ...LENIENT_RULES, ...draft.rules });
      return inTransaction(async (trx) => {
        if (await repo.findByKey(trx, policyNameKey(name))) {
          throw new ConflictError(`Password policy ${name} already exists`);
        }
        if (draft.isDefault) await repo.clearDefault(trx);
        const id = await repo.insert(trx, {
          name,
          description: draft.description ?? '',
          rules,
          isDefault: draft.isDefault ?? false,
        });
        await audit.append(trx, actor, event(AuditOperation.passwordPolicyCreated, name));
        return (await repo.findById(trx, id))!;
      }, name);
    },

    async edit(editor: Administrator, id: number, draft: PolicyDraft): Promise<PasswordPolicy> {
      const actor = authorise(editor);
      return inTransaction(
        async (trx) => {
          const current = await existing(trx, id);
          const rules = checkedRules({ ...current.rules, ...draft.rules });
          const name = draft.name ?? current.name;
          if (name !== current.name) {
            if (current.builtIn)
              throw new FieldInputError('name', `The built-in policy ${current.name} cannot be renamed`);
            // Resources, accounts and users refer to a policy by name.
            const inUse = describeUsage(await repo.usage(trx, current.name));
            if (inUse) {
              throw new ConflictError(
                `Password policy ${current.name} is in use by ${inUse} and cannot be renamed`,
              );
            }
            const clash = await repo.findByKey(trx, policyNameKey(name));
            if (clash && clash.id !== id) throw new ConflictError(`Password policy ${name} already exists`);
          }
          if (draft.isDefault === false && current.isDefault) {
            throw new FieldInputError(
              'isDefault',
              `Password policy ${current.name} is the default; make another policy the default instead`,
            );
          }
          if (draft.isDefault === true && !current.isDefault) await repo.clearDefault(trx);
          await repo.update(trx, id, {
            name,
            description: draft.description ?? current.description,
            rules,
            isDefault: draft.isDefault ?? current.isDefault,
          });
          await audit.append(trx, actor, event(AuditOperation.passwordPolicyModified, name));
          return (await repo.findById(trx, id))!;
        },
        draft.name ?? String(id),
      );
    },

    async delete(editor: Administrator, id: number): Promise<string> {
      const actor = authorise(editor);
      return inTransaction(async (trx) => {
        const current = await existing(trx, id);
        if (current.builtIn)
          throw new NotPermittedError(`The built-in policy ${current.name} cannot be deleted`);
        if (current.isDefault) {
          throw new ConflictError(
            `Password policy ${current.name} is the default; make another policy the default first`,
          );
        }
        const inUse = describeUsage(await repo.usage(trx, current.name));
        if (inUse)
          throw new ConflictError(
            `Password policy ${current.name} is in use by ${inUse} and cannot be deleted`,
          );
        await repo.delete(trx, id);
        await audit.append(trx, actor, event(AuditOperation.passwordPolicyDeleted, current.name));
        return current.name;
      }, String(id));
    },
  } satisfies PolicyCatalog & Record<string, unknown>;
}

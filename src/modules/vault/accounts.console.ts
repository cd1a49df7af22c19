import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import { NativeFile, type NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import { Secret, secret } from '../../platform/crypto/secret.js';
import { FieldInputError } from '../../platform/errors.js';
import { policyView, viewOfPolicy } from '../policies/index.js';
import type { AccessJustification } from './vault.types.js';
import { JustificationRequiredError, LIMITS, type AccountFlags } from './vault.types.js';
import type { VaultService } from './vault.service.js';

/**
 * The console's account operations (ADR 042): add and edit accounts, change a password (in the
 * vault, or on the target through remote reset), and the releases beside the password — its
 * history, the TOTP code, the file — each through the release gate with the account's reason
 * and ticket prompts, as the PMP endpoints do.
 */

/** Remote reset (ADR 028), as the rotation module offers it; absent, only local changes. */
export interface ConsoleRemoteReset {
  resetRemote(
    caller: Parameters<VaultService['changePassword']>[0],
    resourceId: number,
    accountId: number,
    newPassword: Secret,
    why: AccessJustification,
  ): Promise<void>;
}

const NAME = nameField(LIMITS.name);
const PASSWORD = z
  .string()
  .min(1, 'Enter the password')
  .max(LIMITS.password, `At most ${LIMITS.password} characters`);
const notes = z
  .string()
  .max(LIMITS.notes, `At most ${LIMITS.notes} characters`)
  .optional()
  .transform((v) => (v === undefined ? undefined : v.trim() === '' ? null : v));

const controls = {
  reasonRequired: z.boolean().optional(),
  ticketRequired: z.boolean().optional(),
  ticketRequiredMandatory: z.boolean().optional(),
  accessControl: z.boolean().optional(),
};

const newAccount = z.object({ name: NAME, password: PASSWORD, notes, ...controls });
const accountEdit = z.object({
  name: NAME.optional(),
  notes,
  /** A policy by name, as `GET /api/v1/password-policies` lists them; the service checks it exists. */
  passwordPolicy: z
    .string()
    .trim()
    .min(1, 'Choose a password policy')
    .max(200, 'At most 200 characters')
    .optional(),
  ...controls,
});
const justification = z.object({
  reason: z.string().trim().max(LIMITS.reason, `At most ${LIMITS.reason} characters`).optional(),
  ticketId: z.string().trim().max(LIMITS.ticketId, `At most ${LIMITS.ticketId} characters`).optional(),
});
const passwordChange = justification.extend({ password: PASSWORD, remote: z.boolean().default(false) });

function flagsOf(body: {
  reasonRequired?: boolean;
  ticketRequired?: boolean;
  ticketRequiredMandatory?: boolean;
  accessControl?: boolean;
}): AccountFlags {
  const flags: AccountFlags = {};
  if (body.reasonRequired !== undefined) flags.ISREASONREQUIRED = body.reasonRequired;
  if (body.ticketRequired !== undefined) flags.IS_TICKETID_REQD = body.ticketRequired;
  if (body.ticketRequiredMandatory !== undefined)
    flags.IS_TICKETID_REQD_MANDATORY = body.ticketRequiredMandatory;
  if (body.accessControl !== undefined) flags.ACCESS_CONTROL = body.accessControl;
  return flags;
}

const why = (body: { reason?: string; ticketId?: string }): AccessJustification => ({
  reason: body.reason || null,
  ticketId: body.ticketId || null,
});

/** The gate's "give REASON" refusals, as the field of the console's dialog they belong to. */
export async function asConsoleRelease<T>(release: () => Promise<T>): Promise<T> {
  try {
    return await release();
  } catch (err) {
    if (err instanceof JustificationRequiredError) {
      throw new FieldInputError(
        err.missing === 'REASON' ? 'reason' : 'ticketId',
        err.missing === 'REASON' ? 'Enter the reason for this retrieval' : 'Enter the ticket ID',
        err.code,
      );
    }
    throw err;
  }
}

export function registerAccountConsoleRoutes(
  router: NativeRouter,
  deps: { vault: VaultService; remoteReset?: ConsoleRemoteReset },
): void {
  const { vault, remoteReset } = deps;
  const ids = (params: Readonly<Record<string, string>>) => ({
    resourceId: parseId(params.resourceId, 'resource'),
    accountId: parseId(params.accountId, 'account'),
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources/:resourceId/accounts',
    summary: 'Add an account to a resource (full access to the resource needed)',
    tag: 'accounts',
    access: 'signed-in',
    status: 201,
    body: newAccount,
    async handle({ caller, params, body }) {
      const [outcome] = await vault.addAccounts(caller, parseId(params.resourceId, 'resource'), [
        {
          ok: true,
          account: {
            name: body.name,
            password: secret(body.password),
            passwordPolicy: null,
            description: null,
            notes: body.notes ?? null,
            flags: flagsOf(body),
            customFields: [],
          },
        },
      ]);
      if (!outcome!.added) {
        throw new FieldInputError(/password/i.test(outcome!.reason) ? 'password' : 'name', outcome!.reason);
      }
      return { id: outcome!.accountId };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/resources/:resourceId/accounts/:accountId',
    summary:
      "An account's details (no secret: the password, its file and secret fields stay behind the gate)",
    tag: 'accounts',
    access: 'signed-in',
    response: z.object({
      id: z.number(),
      name: z.string(),
      description: z.string().nullable(),
      notes: z.string().nullable(),
      passwordPolicy: z.string(),
      owner: z.string(),
      createdAt: z.number(),
      modifiedAt: z.number(),
      passwordChangedAt: z.number(),
      lastAccessedAt: z.number().nullable(),
      expired: z.boolean().nullable().describe('null: the policy never expires the password'),
      hasFile: z.boolean(),
      reasonRequired: z.boolean(),
      ticketRequired: z.boolean(),
      ticketRequiredMandatory: z.boolean(),
      accessControl: z.boolean(),
    }),
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      const { account: a } = await vault.getAccount(caller, resourceId, accountId);
      return {
        id: a.id,
        name: a.name,
        description: a.description,
        notes: a.notes,
        passwordPolicy: a.passwordPolicy,
        owner: a.ownerName,
        createdAt: a.createdAt,
        modifiedAt: a.modifiedAt,
        passwordChangedAt: a.passwordChangedAt,
        lastAccessedAt: a.lastAccessedAt ?? null,
        expired: a.expired ?? null,
        hasFile: a.hasFile,
        reasonRequired: a.flags.ISREASONREQUIRED,
        ticketRequired: a.flags.IS_TICKETID_REQD,
        ticketRequiredMandatory: a.flags.IS_TICKETID_REQD_MANDATORY,
        accessControl: a.flags.ACCESS_CONTROL,
      };
    },
  });

  router.add({
    method: 'PUT',
    url: '/api/v1/resources/:resourceId/accounts/:accountId',
    summary: "Edit an account's name, notes, password policy and access controls",
    tag: 'accounts',
    access: 'signed-in',
    body: accountEdit,
    async handle({ caller, params, body }) {
      const { resourceId, accountId } = ids(params);
      await withFieldErrors({ conflict: 'name', unknownPolicy: 'passwordPolicy' }, () =>
        vault.editAccount(caller, resourceId, accountId, {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.notes !== undefined ? { notes: body.notes } : {}),
          ...(body.passwordPolicy !== undefined ? { passwordPolicy: body.passwordPolicy } : {}),
          flags: flagsOf(body),
        }),
      );
      return {};
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/resources/:resourceId/accounts/:accountId',
    summary: 'Delete an account and its password history',
    tag: 'accounts',
    access: 'signed-in',
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      await vault.deleteAccount(caller, resourceId, accountId);
      return {};
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources/:resourceId/accounts/:accountId/password-change',
    summary: 'Change a password: in the vault, or on the target first when `remote` (two-phase)',
    tag: 'accounts',
    access: 'signed-in',
    body: passwordChange,
    async handle({ caller, params, body }) {
      const { resourceId, accountId } = ids(params);
      const password = new Secret(body.password);
      if (body.remote && !remoteReset)
        throw new FieldInputError('remote', 'Remote password reset is not available');
      await withFieldErrors({ passwordPolicy: 'password' }, () =>
        body.remote
          ? remoteReset!.resetRemote(caller, resourceId, accountId, password, why(body))
          : vault.changePassword(caller, resourceId, accountId, password, 'LOCAL', why(body)),
      );
      return { changed: body.remote ? 'target and vault' : 'vault' };
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/resources/:resourceId/accounts/:accountId/password-policy',
    summary: "The account's effective password policy (to those who may change its password)",
    tag: 'accounts',
    access: 'signed-in',
    response: z.object({ policy: policyView }),
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      return { policy: viewOfPolicy(await vault.passwordPolicyOf(caller, resourceId, accountId)) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources/:resourceId/accounts/:accountId/generated-password',
    summary: "A new password following the account's effective policy; nothing is stored",
    tag: 'accounts',
    access: 'signed-in',
    response: z.object({ password: z.string(), policy: policyView }),
    async handle({ caller, params }) {
      const { resourceId, accountId } = ids(params);
      const { policy, password } = await vault.generatePasswordFor(caller, resourceId, accountId);
      return { password: password.reveal(), policy: viewOfPolicy(policy) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources/:resourceId/accounts/:accountId/history',
    summary: 'Release the earlier passwords of an account, newest first (full access needed)',
    tag: 'accounts',
    access: 'signed-in',
    body: justification,
    response: z.object({
      items: z.array(z.object({ password: z.string().nullable(), replacedAt: z.number() })),
    }),
    async handle({ caller, params, body }) {
      const { resourceId, accountId } = ids(params);
      const earlier = await asConsoleRelease(() =>
        vault.passwordHistory(caller, resourceId, accountId, why(body)),
      );
      return {
        items: earlier.map((e) => ({ password: e.password?.reveal() ?? null, replacedAt: e.replacedAt })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/accounts/:accountId/totp',
    summary: "The account's current TOTP code and how long it stays valid",
    tag: 'accounts',
    access: 'signed-in',
    body: justification,
    response: z.object({ code: z.string(), period: z.number(), validForSeconds: z.number() }),
    async handle({ caller, params, body }) {
      const accountId = parseId(params.accountId, 'account');
      const code = await asConsoleRelease(() => vault.currentTotp(caller, accountId, why(body)));
      return { code: code.reveal(), ...(await vault.totpTiming(accountId)) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/resources/:resourceId/accounts/:accountId/file',
    summary: "Download the account's file (a File Store resource)",
    tag: 'accounts',
    access: 'signed-in',
    body: justification,
    async handle({ caller, params, body }) {
      const { resourceId, accountId } = ids(params);
      const file = await asConsoleRelease(() => vault.downloadFile(caller, resourceId, accountId, why(body)));
      return new NativeFile(file.fileName, 'application/octet-stream', file.content);
    },
  });
}

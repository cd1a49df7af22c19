import { expect } from 'vitest';
import { details, pmpClient, type PmpAnswer } from './client.js';
import { expectSuccess as ok } from './expect-pmp.js';
import type { RunningServer } from './server.js';

/**
 * Helpers of the remote reset API tests (ADR 028): resources with accounts on a real target,
 * their configuration through endpoint 63, and reading what the vault holds.
 */
export const V1 = '/restapi/json/v1';

export type Call = ReturnType<typeof pmpClient>;

export interface TargetResource {
  readonly resourceId: string;
  /** Account ids by name. */
  readonly accounts: Readonly<Record<string, string>>;
  passwordPath(account: string): string;
}

/** A resource on `host` with the given accounts (name → password), through the API. */
export async function createTargetResource(
  call: Call,
  name: string,
  type: string,
  host: string,
  accounts: readonly { readonly name: string; readonly password: string }[],
  /** More fields of the resource and its first account (e.g. ACCESS_CONTROL). */
  extra: Record<string, unknown> = {},
): Promise<TargetResource> {
  const [first, ...rest] = accounts;
  if (!first) throw new Error('a resource needs an account');
  const created = ok(
    await call(`${V1}/resources`, {
      method: 'POST',
      input: details({
        RESOURCENAME: name,
        RESOURCETYPE: type,
        DNSNAME: host,
        ACCOUNTNAME: first.name,
        PASSWORD: first.password,
        ...extra,
      }),
    }),
  );
  const resourceId = String(created.details.RESOURCEID);
  if (rest.length > 0) {
    ok(
      await call(`${V1}/resources/${resourceId}/accounts`, {
        method: 'POST',
        input: details({ ACCOUNTLIST: rest.map((a) => ({ ACCOUNTNAME: a.name, PASSWORD: a.password })) }),
      }),
    );
  }
  const list = ok(await call(`${V1}/resources/${resourceId}/accounts`));
  const ids: Record<string, string> = {};
  for (const a of list.details['ACCOUNT LIST'] as { 'ACCOUNT NAME': string; 'ACCOUNT ID': string }[]) {
    ids[a['ACCOUNT NAME']] = a['ACCOUNT ID'];
  }
  return {
    resourceId,
    accounts: ids,
    passwordPath: (account) => `${V1}/resources/${resourceId}/accounts/${ids[account]}/password`,
  };
}

/** Endpoint 63 for one resource; expects SUCCESS for it. */
export async function configureRemoteReset(
  call: Call,
  resourceId: string,
  fields: Record<string, unknown>,
): Promise<void> {
  const answer = await call(`${V1}/resources/configureremotepasswordreset`, {
    method: 'POST',
    input: details({ RESOURCEIDS: [resourceId], ...fields }),
  });
  const lines = (answer.details?.['CONFIGURATION RESULT'] ?? []) as { STATUS: string; MESSAGE?: string }[];
  expect(
    lines.map((l) => `${l.STATUS} ${l.MESSAGE ?? ''}`.trim()),
    answer.message,
  ).toEqual(['SUCCESS']);
}

/** Endpoint 5 with RESETTYPE REMOTE. */
export function resetRemote(call: Call, path: string, newPassword: string): Promise<PmpAnswer> {
  return call(path, {
    method: 'PUT',
    input: details({ NEWPASSWORD: newPassword, RESETTYPE: 'REMOTE' }),
  });
}

/** The vault's current password of an account (endpoint 4). */
export async function vaultPassword(call: Call, path: string): Promise<string> {
  return String(ok(await call(path)).details.PASSWORD);
}

/** Every Resource audit record's operation and reason, newest first. */
export async function auditTrail(
  call: Call,
  limit = 1000,
): Promise<{ OPERATIONTYPE: string; REASON: string; ACCOUNTNAME: string; OPERATEDBY: string }[]> {
  return ok(await call(`${V1}/audit`, { query: { AUDITTYPE: 'Resource', LIMIT: String(limit) } }))
    .details as { OPERATIONTYPE: string; REASON: string; ACCOUNTNAME: string; OPERATEDBY: string }[];
}

/** The whole text of every answer and audit record must not hold any of these secrets. */
export function expectNoSecret(texts: readonly string[], secrets: readonly string[]): void {
  for (const text of texts) {
    for (const secret of secrets)
      expect(text.includes(secret), `a secret appears in: ${text.slice(0, 200)}`).toBe(false);
  }
}

export function adminCall(server: RunningServer): Call {
  return pmpClient(server.baseUrl, server.token);
}

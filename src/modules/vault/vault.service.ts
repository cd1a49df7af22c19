import { createAccountRecords } from './account-records.js';
import { accountOperations } from './accounts.service.js';
import { createCustomFields } from './custom-fields.js';
import { exportOperations } from './exports.js';
import { hostSecretOperations } from './host-secrets.js';
import { importOperations } from './imports.js';
import { lookupOperations } from './lookups.js';
import { passwordOperations } from './passwords.service.js';
import { remoteChangeRecords } from './remote-change-records.js';
import { remoteChangeOperations } from './remote-changes.js';
import { resourceOperations } from './resources.service.js';
import { summaryOperations } from './summaries.js';
import { createVaultContext, type VaultServiceDeps } from './vault.context.js';
import { createViews } from './views.js';

export type { NameCandidates, VaultServiceDeps } from './vault.context.js';
export type { AccountDraft, ResetType } from './vault.types.js';

export type VaultService = ReturnType<typeof createVaultService>;

/**
 * Resources, their accounts, passwords, files and additional fields, one file per capability
 * (resources, accounts, passwords and other secrets, lookups by name) over a shared context.
 * Every operation authorises the caller on the object first (an object the caller may not see
 * answers exactly like one that does not exist), then acts in one transaction that also writes
 * the audit record. Every release of secret material goes through the release gate (ADR 018),
 * which audits it before it is unsealed.
 */
export function createVaultService(deps: VaultServiceDeps) {
  const ctx = createVaultContext(deps);
  const customFields = createCustomFields(ctx);
  const views = createViews(ctx, customFields);
  const records = createAccountRecords(ctx, customFields);
  const accounts = accountOperations(ctx, customFields, views, records);
  return {
    ...resourceOperations(ctx, customFields, views, records),
    ...accounts,
    ...passwordOperations(ctx, accounts),
    ...lookupOperations(ctx),
    ...summaryOperations(ctx),
    /** Imports (docs/import.md): batches of resources and accounts, created as the API creates them. */
    ...importOperations(ctx, customFields, records),
    /** A user's export (ADR 051): what the caller sees; its passwords come through the gate. */
    ...exportOperations(ctx),
    /**
     * Password changes on real targets (ADR 028), for the rotation service only: pending
     * passwords, their settlement, and the passwords the server uses on the target.
     */
    remoteChanges: remoteChangeOperations(ctx),
    /** Rotations as operators list, read and resolve them (docs/rotation.md, pending rotations). */
    rotationRecords: remoteChangeRecords(ctx),
    /**
     * What the server itself uses on a host for SSH key operations (ADR 033): configured
     * accounts' passwords and a key's private half. Never a release to a caller.
     */
    hostSecrets: hostSecretOperations(ctx),
    /** The release gate's door for the SSH key store (export, ADR 031). */
    releaseSshKey: (...args: Parameters<typeof ctx.gate.releaseSshKey>) => ctx.gate.releaseSshKey(...args),
    releaseSshKeyToOperator: (...args: Parameters<typeof ctx.gate.releaseSshKeyToOperator>) =>
      ctx.gate.releaseSshKeyToOperator(...args),
    /** The release gate's door for the certificate repository (ADR 036). */
    releaseCertificate: (...args: Parameters<typeof ctx.gate.releaseCertificate>) =>
      ctx.gate.releaseCertificate(...args),
    /** The same door for the local operator of the CLI (`bulwark certs export`, ADR 038). */
    releaseCertificateToOperator: (...args: Parameters<typeof ctx.gate.releaseCertificateToOperator>) =>
      ctx.gate.releaseCertificateToOperator(...args),
  };
}

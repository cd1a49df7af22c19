import type { Executor } from '../../platform/db/database.js';
import { vaultRepository } from './vault.repository.js';
import type { AccountControls } from './vault.types.js';
export { createVaultService, type VaultService, type AccountDraft } from './vault.service.js';
export type { ShareableObject, AccountControls, AccessJustification } from './vault.types.js';
export { nameKey, LIMITS as VAULT_LIMITS } from './vault.types.js';
export type { NewAccount, ResourceFields } from './vault.types.js';
export type { ImportedResource, ImportRowOutcome } from './imports.js';
export type { ExportableResource } from './exports.js';
export {
  asResourceTarget,
  resourceLookup,
  resourceTargetColumns,
  visibleResourceNamed,
  type ResourceTarget,
} from './resource-lookup.js';
/**
 * The retrieval controls of an account (ACCESS_CONTROL among them), read inside the caller's
 * transaction; undefined when the account does not exist. Does not authorise.
 */
export function readAccountControls(
  executor: Executor,
  accountId: number,
): Promise<AccountControls | undefined> {
  return vaultRepository.findAccountControls(executor, accountId);
}
export { registerVaultRoutes } from './vault.routes.js';
export { registerVaultConsoleRoutes } from './vault.console.js';
export { registerAccountConsoleRoutes } from './accounts.console.js';
export { RESOURCE_TYPES, findResourceType } from './resource-types.js';
export type {
  RemoteChanges,
  RemoteChangeInitiator,
  RemoteChangeStart,
  RemoteChangeSecrets,
  RemoteChangeSubject,
  PendingRemoteChange,
} from './remote-changes.js';
export {
  ROTATION_STATUSES,
  isRotationAdministrator,
  type RemoteChangeRecords,
  type ResolutionKeep,
  type RotationQuery,
  type RotationReader,
  type RotationRecord,
  type RotationStatus,
} from './remote-change-records.js';
/** The remote reset configuration's sealed login key (ADR 027): sealed and opened only for connections. */
export { certificateMaterial, remoteResetKeys, sshKeyMaterial, sshKeyRotationMaterial } from './sealing.js';
/** A CSR's key, moved into the signed certificate's row; the internal CA's key, opened only to sign (ADR 039). */
export { certificateRequestMaterial, internalCaKey } from './sealing.js';
export { eventOnCertificate, eventOnSshKey } from './audit-events.js';
export type { CertificateReleaseKind, CertificateToRelease, SshKeyToRelease } from './release-gate.js';
export type { HostSecrets } from './host-secrets.js';

export type {
  RotationService,
  RotationOutcome,
  RotationTrigger,
  VerificationOutcome,
} from './rotation.types.js';
export {
  createRotationService,
  SYSTEM_ACTOR,
  type RotationConfigurations,
  type RotationServiceDeps,
  type RotationServiceImpl,
  type RotationSettings,
} from './rotation.service.js';
export { RemoteResetFailedError } from './rotation.errors.js';
export type { RotationConfiguration, ConfiguredAccount } from './targets.js';
/** What the SSH key operations share with password resets (ADR 033). */
export { buildTarget, credentialAccountsOf } from './targets.js';
export { hostKeyBookkeeping, logWithoutMessage, describeFailure } from './reconciliation.js';
export {
  createAuthorizedKeysConnector,
  AuthorizedKeysFailure,
  type AuthorizedKeysConnector,
  type AuthorizedKeysProblem,
  type AddKeyResult,
  type RemoveKeyResult,
  type ListKeysResult,
  type AccountKeys,
} from './connectors/ssh-authorized-keys.js';
export { createConnectorRegistry, defaultConnectors, type ConnectorRegistry } from './connectors/index.js';
export { registerRotationJobs, queueRotation, ROTATE_JOB, RECONCILE_JOB } from './rotation.jobs.js';
export { registerRotationRoutes, rotationAttributes } from './rotation.routes.js';
export type { RotationAdministration } from './rotation.admin.js';
export {
  RemoteChangeFailure,
  type ConnectorResult,
  type SshTarget,
  type RemoteFailureReason,
} from './connectors/connector.js';
/** The SSH session primitives, for connectors of other modules (certificate deployment, ADR 041). */
export { connectTarget, runOperation, type Operation } from './connectors/ssh-session.js';
export { elevate, expectOr, waitingFor } from './connectors/ssh.js';
export { InteractiveShell, promptPattern } from './connectors/ssh-shell.js';
export {
  openScriptShell,
  scriptEnd,
  scriptResult,
  startScript,
  targetSecrets,
  type ScriptRun,
} from './connectors/ssh-script.js';
export { isAccountName } from './connectors/ssh-authorized-keys-lines.js';
export { registerRotationConsoleRoutes } from './rotation.console.js';

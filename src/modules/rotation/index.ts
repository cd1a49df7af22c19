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
export { createConnectorRegistry, defaultConnectors, type ConnectorRegistry } from './connectors/index.js';
export { registerRotationJobs, queueRotation, ROTATE_JOB, RECONCILE_JOB } from './rotation.jobs.js';
export { registerRotationRoutes, rotationAttributes } from './rotation.routes.js';
export type { RotationAdministration } from './rotation.admin.js';

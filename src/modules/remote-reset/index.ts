/**
 * Remote password reset configuration (endpoint 63, native show/change/remove) and SSH host key
 * pinning (ADR 027). The rotation service reads what it needs through {@link RemoteResetService}:
 * `configurationOf` (the typed configuration, the login key opened), `hostKeyPins` (a snapshot
 * implementing the connector's HostKeyPins), `pinOnFirstUse` and `recordRefusedKey`.
 */
export {
  createRemoteResetService,
  TELNET_REFUSED,
  type Configurer,
  type RemoteResetService,
  type RemoteResetServiceDeps,
} from './remote-reset.service.js';
export type {
  AccountRef,
  Authentication,
  ConfigurationResult,
  Elevation,
  OfferedHostKey,
  PinnedHostKey,
  RemoteResetConfiguration,
  RemoteResetDraft,
  RemoteResetKind,
  RemoteResetView,
  ResourceIdentifier,
} from './remote-reset.types.js';
export { fingerprintOf, normalizeFingerprint } from './host-keys.js';
export { configurationDetails, readDraftFields, registerRemoteResetRoutes } from './remote-reset.routes.js';

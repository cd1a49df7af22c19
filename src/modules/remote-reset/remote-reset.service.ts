import { configurationOperations } from './configurations.service.js';
import { hostKeyOperations } from './host-keys.service.js';
import { createRemoteResetContext, type RemoteResetServiceDeps } from './remote-reset.context.js';
import { rotationReads } from './rotation-reads.js';

export { TELNET_REFUSED } from './configuration-rules.js';
export type { Configurer, RemoteResetServiceDeps } from './remote-reset.context.js';

export type RemoteResetService = ReturnType<typeof createRemoteResetService>;

/**
 * The remote password reset configuration of resources (endpoint 63, native show/change/remove)
 * and the SSH host keys pinned for them (ADR 027), one file per capability over a shared context:
 * the configuration edits and their validation of named accounts (configurations.service.ts,
 * configuration-rules.ts), the configuration as the rotation reads it, the login key opened
 * (rotation-reads.ts), and the host keys (host-keys.service.ts).
 */
export function createRemoteResetService(deps: RemoteResetServiceDeps) {
  const ctx = createRemoteResetContext(deps);
  return {
    ...configurationOperations(ctx),
    // --- for the rotation service (no authorisation: it acts on what an authorised caller configured)
    ...rotationReads(ctx),
    // --- the host keys, for the rotation service and for administrators
    ...hostKeyOperations(ctx),
  };
}

import type { Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { foundation } from './2026-11-23-0001-foundation.js';
import { users } from './2026-11-23-0002-users.js';
import { userGroupsAndShares } from './2026-11-23-0003-user-groups-and-shares.js';
import { passwordPolicies } from './2026-11-23-0004-password-policies.js';
import { accountFlagsAndTotp } from './2026-11-23-0005-account-flags-and-totp.js';
import { passwordRequests } from './2026-11-23-0006-password-requests.js';
import { accountApprovers } from './2026-11-23-0007-account-approvers.js';
import { resourceGroups } from './2026-11-23-0008-resource-groups.js';
import { agentKeyAndNodes } from './2026-11-23-0009-agent-key-and-nodes.js';
import { applications } from './2026-11-23-0010-applications.js';
import { auditEncoding } from './2026-12-04-0011-audit-encoding.js';
import { jobs } from './2026-12-04-0012-jobs.js';
import { remoteReset } from './2026-12-04-0013-remote-reset.js';
import { passwordRotations } from './2026-12-04-0014-password-rotations.js';
import { rotationSchedules } from './2026-12-04-0015-rotation-schedules.js';
import { remoteResetConfirmedHost } from './2026-12-05-0016-remote-reset-confirmed-host.js';
import { sshKeys } from './2026-12-05-0017-ssh-keys.js';
import { sshKeyDiscovery } from './2026-12-05-0019-ssh-key-discovery.js';
import { sshKeyRotations } from './2026-12-05-0020-ssh-key-rotations.js';
import { certificates } from './2026-12-05-0021-certificates.js';
import { certificateRequestsAndCa } from './2026-12-05-0022-certificate-requests-and-ca.js';
import { certificateGroupsAndShares } from './2026-12-05-0023-certificate-groups-and-shares.js';
import { certificateDeploymentsAndExpiry } from './2026-12-05-0024-certificate-deployments-and-expiry.js';
import { consoleSessions } from './2026-12-06-0025-console-sessions.js';
import { jobCancel } from './2026-12-06-0026-job-cancel.js';

/**
 * Every migration, by dated name. Names sort in the order they must run; the migrator
 * refuses to start if the database holds a migration this build does not know.
 */
export function allMigrations(dialect: DialectName): Record<string, Migration> {
  return {
    '2026-11-23-0001-foundation': foundation(dialect),
    '2026-11-23-0002-users': users(dialect),
    '2026-11-23-0003-user-groups-and-shares': userGroupsAndShares(dialect),
    '2026-11-23-0004-password-policies': passwordPolicies(dialect),
    '2026-11-23-0005-account-flags-and-totp': accountFlagsAndTotp(dialect),
    '2026-11-23-0006-password-requests': passwordRequests(dialect),
    '2026-11-23-0007-account-approvers': accountApprovers(dialect),
    '2026-11-23-0008-resource-groups': resourceGroups(dialect),
    '2026-11-23-0009-agent-key-and-nodes': agentKeyAndNodes(dialect),
    '2026-11-23-0010-applications': applications(dialect),
    '2026-12-04-0011-audit-encoding': auditEncoding(dialect),
    '2026-12-04-0012-jobs': jobs(dialect),
    '2026-12-04-0013-remote-reset': remoteReset(dialect),
    '2026-12-04-0014-password-rotations': passwordRotations(dialect),
    '2026-12-04-0015-rotation-schedules': rotationSchedules(dialect),
    '2026-12-05-0016-remote-reset-confirmed-host': remoteResetConfirmedHost(dialect),
    '2026-12-05-0017-ssh-keys': sshKeys(dialect),
    '2026-12-05-0019-ssh-key-discovery': sshKeyDiscovery(dialect),
    '2026-12-05-0020-ssh-key-rotations': sshKeyRotations(dialect),
    '2026-12-05-0021-certificates': certificates(dialect),
    '2026-12-05-0022-certificate-requests-and-ca': certificateRequestsAndCa(dialect),
    '2026-12-05-0023-certificate-groups-and-shares': certificateGroupsAndShares(dialect),
    '2026-12-05-0024-certificate-deployments-and-expiry': certificateDeploymentsAndExpiry(dialect),
    '2026-12-06-0025-console-sessions': consoleSessions(dialect),
    '2026-12-06-0026-job-cancel': jobCancel(),
  };
}

import type { CallOrigin } from '../../platform/principal.js';

export type AuditType = 'Resource' | 'User';

/** What happened, to what; who did it comes from the caller. */
export interface AuditEvent {
  readonly auditType: AuditType;
  readonly operation: string;
  readonly resourceId?: number | null;
  readonly resourceName?: string | null;
  readonly accountId?: number | null;
  readonly accountName?: string | null;
  /** The user an operation was about (user audits: created, locked, …). */
  readonly targetUser?: string | null;
  readonly reason?: string | null;
  readonly ticketId?: string | null;
}

/** Who acted: a user (through some client) or the system itself. */
export interface AuditActor extends CallOrigin {
  readonly userId: number | null;
  readonly username: string;
}

export interface AuditRecord {
  readonly seq: number;
  readonly at: number;
  readonly auditType: string;
  readonly operation: string;
  readonly operatorId: number | null;
  readonly operatorName: string;
  readonly clientIp: string;
  readonly client: string;
  readonly resourceId: number | null;
  readonly resourceName: string | null;
  readonly accountId: number | null;
  readonly accountName: string | null;
  readonly targetUser: string | null;
  readonly reason: string | null;
  readonly ticketId: string | null;
}

/** A record before it joins the chain (sequence number and hashes are assigned then). */
export type PendingRecord = Omit<AuditRecord, 'seq'>;

/** A record as stored: linked to its predecessor, hashed under a canonical encoding (audit-chain.ts). */
export type StoredAuditRecord = AuditRecord & {
  readonly prevHash: string;
  readonly hash: string;
  readonly encoding: number;
};

/** The newest link of the chain. */
export interface ChainHead {
  readonly lastSeq: number;
  readonly lastHash: string;
}

export type AuditDuration = 'TODAY' | 'YESTERDAY' | 'LAST_7_DAYS' | 'LAST_30_DAYS' | 'ALL';

export interface AuditQuery {
  readonly auditType: AuditType;
  readonly duration: AuditDuration;
  /** 1-based index of the first record to return, newest first. */
  readonly startIndex: number;
  readonly limit: number;
}

export type ChainProblemKind = 'altered' | 'missing' | 'truncated' | 'out-of-order';

export interface ChainProblem {
  /** The first record concerned (for a gap or a truncation, the first one missing). */
  readonly seq: number;
  readonly kind: ChainProblemKind;
  readonly message: string;
}

export interface ChainVerification {
  readonly ok: boolean;
  /** Records read. */
  readonly checked: number;
  /** The last sequence number read. */
  readonly lastSeq: number;
  /** Every problem found, in chain order (the first MAX_LISTED_PROBLEMS; problemCount counts all). */
  readonly problems: readonly ChainProblem[];
  readonly problemCount: number;
  /** The first problem (problems[0]). */
  readonly problem?: ChainProblem;
}

/** Operation names as they appear in the audit trail (OPERATIONTYPE). */
export const AuditOperation = {
  resourceAdded: 'Resource Added',
  resourceModified: 'Resource Modified',
  resourceDeleted: 'Resource Deleted',
  accountAdded: 'Account Added',
  accountModified: 'Account Modified',
  accountDeleted: 'Account Deleted',
  passwordRetrieved: 'Password Retrieved',
  passwordChanged: 'Password Changed',
  /** A remote password reset that the target did not take; the vault's password is unchanged (ADR 028). */
  passwordResetFailed: 'Password Reset Failed',
  /** A remote password reset whose outcome the target did not confirm yet; reconciliation retries. */
  passwordResetUnsettled: 'Password Reset Unsettled',
  /** An administrator decided a pending rotation that could not be settled on its target. */
  passwordResetResolved: 'Password Reset Resolved',
  /** The vault's password did not open the target (verification, ADR 028). */
  passwordVerificationFailed: 'Password Verification Failed',
  passwordHistoryRetrieved: 'Password History Retrieved',
  fileDownloaded: 'File Downloaded',
  totpRetrieved: 'TOTP Retrieved',
  /** A retrieval refused by the account's controls (missing reason or ticket id, ticket refused). */
  retrievalRefused: 'Retrieval Refused',
  customFieldRetrieved: 'Password Custom Field Retrieved',
  userAdded: 'User Added',
  apiTokenIssued: 'API Token Generated',
  apiTokenRegenerated: 'API Token Regenerated',
  userDeleted: 'User Deleted',
  userLocked: 'User Locked',
  userUnlocked: 'User Unlocked',
  mfaReset: 'Two Factor Authentication Reset',
  /** A user confirmed a new authenticator at console sign-in (ADR 042). */
  mfaEnrolled: 'Two Factor Authentication Enrolled',
  recoveryCodeUsed: 'Recovery Code Used',
  userLoggedIn: 'User Logged In',
  userLoggedOut: 'User Logged Out',
  /** A user changed their own console sign-in password (ADR 042). */
  loginPasswordChanged: 'Change Login Password',
  /** The console's CSV export of the trail, with its filters. */
  auditExported: 'Audit Trail Exported',
  /** A user's export of the passwords they may retrieve (ADR 051): counts, never a secret. */
  passwordsExported: 'Passwords Exported',
  authenticationFailed: 'Authentication Failed',
  masterKeyRotated: 'Master Key Rotated',
  agentKeyGenerated: 'Agent Key Generated',
  agentKeyUsed: 'Agent Key Used',
  userGroupCreated: 'User Group Created',
  userGroupDeleted: 'User Group Deleted',
  userAddedToGroup: 'User Added To User Group',
  userRemovedFromGroup: 'User Removed From User Group',
  shareGranted: 'Share Granted',
  shareRevoked: 'Share Revoked',
  passwordRequested: 'Password Requested',
  passwordRequestApproved: 'Password Request Approved',
  passwordRequestRejected: 'Password Request Rejected',
  passwordCheckedOut: 'Password Checked Out',
  passwordCheckedIn: 'Password Checked In',
  passwordCheckedInAutomatically: 'Password Checked In Automatically',
  approversNamed: 'Password Approvers Named',
  passwordPolicyCreated: 'Password Policy Created',
  passwordPolicyModified: 'Password Policy Modified',
  passwordPolicyDeleted: 'Password Policy Deleted',
  resourceGroupCreated: 'Resource Group Created',
  resourceGroupModified: 'Resource Group Modified',
  resourceGroupDeleted: 'Resource Group Deleted',
  resourceGroupShared: 'Resource Group Shared',
  resourceGroupShareRevoked: 'Resource Group Share Revoked',
  applicationRegistered: 'Application Registered',
  applicationRemoved: 'Application Removed',
  applicationCertificateImported: 'Application Certificate Imported',
  applicationCertificateRevoked: 'Application Certificate Revoked',
  applicationOperationRefused: 'Application Operation Refused',
  remoteResetConfigured: 'Remote Password Reset Configured',
  remoteResetConfigurationRemoved: 'Remote Password Reset Configuration Removed',
  sshHostKeyPinned: 'SSH Host Key Pinned',
  sshHostKeyRefused: 'SSH Host Key Refused',
  sshHostKeyAccepted: 'SSH Host Key Accepted',
  sshHostKeyPinRemoved: 'SSH Host Key Pin Removed',
  sshKeyCreated: 'SSH Key Created',
  sshKeyImported: 'SSH Key Imported',
  sshKeyExported: 'SSH Key Exported',
  sshKeyDeleted: 'SSH Key Deleted',
  sshKeyShared: 'SSH Key Shared',
  sshKeyShareRevoked: 'SSH Key Share Revoked',
  sshKeysDiscovered: 'SSH Keys Discovered',
  sshKeyDiscoveryFailed: 'SSH Key Discovery Failed',
  sshKeyDiscoveryStarted: 'SSH Key Discovery Started',
  sshKeyAssociated: 'SSH Key Associated',
  sshKeyAssociationFailed: 'SSH Key Association Failed',
  sshKeyDissociated: 'SSH Key Dissociated',
  sshKeysReconciled: 'SSH Keys Reconciled',
  certificateShared: 'Certificate Shared',
  certificateShareRevoked: 'Certificate Share Revoked',
  certificateGroupCreated: 'Certificate Group Created',
  certificateGroupModified: 'Certificate Group Modified',
  certificateGroupDeleted: 'Certificate Group Deleted',
  certificateGroupShared: 'Certificate Group Shared',
  certificateGroupShareRevoked: 'Certificate Group Share Revoked',
  sslAgentInstallKeyGenerated: 'SSL Agent Install Key Generated',
  certificateAdded: 'Certificate Added',
  certificateDeleted: 'Certificate Deleted',
  certificateDiscovered: 'Certificate Discovered',
  certificateDiscoveryStarted: 'Certificate Discovery Started',
  certificateFileRetrieved: 'Certificate Retrieved',
  certificatePassphraseRetrieved: 'Certificate Passphrase Retrieved',
  certificatePrivateKeyExported: 'Certificate Private Key Exported',
  certificateRequestCreated: 'Certificate Request Created',
  certificateRequestSigned: 'Certificate Request Signed',
  certificateIssued: 'Certificate Issued',
  internalCaCreated: 'Internal CA Created',
  certificateDeployed: 'Certificate Deployed',
  certificateDeploymentFailed: 'Certificate Deployment Failed',
  /** A background job cancelled by a user (queued: at once; running: at its next safe point). */
  jobCancelled: 'Job Cancelled',
  certificateExpiryAlert: 'Certificate Expiry Alert',
  /** A backup file written (CLI or the scheduled job), after its snapshot (ADR 050). */
  backupTaken: 'Backup Taken',
  /** The first record of a store restored from a backup, after the backup's own records. */
  restoredFromBackup: 'Restored From Backup',
} as const;

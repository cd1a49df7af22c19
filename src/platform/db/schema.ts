import type { Generated } from 'kysely';

/**
 * The database as Kysely sees it. Conventions that hold on both dialects:
 * - ids are integers, timestamps are epoch milliseconds, booleans are 0/1 integers;
 * - `*_key` columns hold the canonical (NFC, lower-case, trimmed) form of a name and carry
 *   the uniqueness constraint; the display form is kept beside it;
 * - `*_sealed` columns hold AES-256-GCM envelopes (see platform/crypto/keyring.ts) bound to
 *   their table, row and column; nothing secret is stored in clear.
 */
export interface Schema {
  instance: InstanceTable;
  data_keys: DataKeysTable;
  users: UsersTable;
  api_tokens: ApiTokensTable;
  console_sessions: ConsoleSessionsTable;
  user_recovery_codes: UserRecoveryCodesTable;
  resources: ResourcesTable;
  accounts: AccountsTable;
  custom_fields: CustomFieldsTable;
  password_history: PasswordHistoryTable;
  account_files: AccountFilesTable;
  audit_records: AuditRecordsTable;
  audit_chain: AuditChainTable;
  user_groups: UserGroupsTable;
  user_group_members: UserGroupMembersTable;
  resource_shares: ResourceSharesTable;
  account_shares: AccountSharesTable;
  password_requests: PasswordRequestsTable;
  account_approvers: AccountApproversTable;
  password_policies: PasswordPoliciesTable;
  agent_keys: AgentKeysTable;
  cluster_nodes: ClusterNodesTable;
  cluster_leases: ClusterLeasesTable;
  resource_groups: ResourceGroupsTable;
  resource_group_criteria: ResourceGroupCriteriaTable;
  resource_group_members: ResourceGroupMembersTable;
  resource_group_accounts: ResourceGroupAccountsTable;
  resource_group_shares: ResourceGroupSharesTable;
  applications: ApplicationsTable;
  application_certificates: ApplicationCertificatesTable;
  jobs: JobsTable;
  remote_reset_configs: RemoteResetConfigsTable;
  ssh_host_keys: SshHostKeysTable;
  ssh_offered_host_keys: SshOfferedHostKeysTable;
  rotation_schedules: RotationSchedulesTable;
  password_rotations: PasswordRotationsTable;
  ssh_keys: SshKeysTable;
  ssh_key_shares: SshKeySharesTable;
  ssh_key_associations: SshKeyAssociationsTable;
  ssh_key_rotations: SshKeyRotationsTable;
  ssh_key_rotation_hosts: SshKeyRotationHostsTable;
  ssh_key_rotation_schedules: SshKeyRotationSchedulesTable;
  ssh_key_discoveries: SshKeyDiscoveriesTable;
  ssh_key_discovery_accounts: SshKeyDiscoveryAccountsTable;
  ssh_key_findings: SshKeyFindingsTable;
  certificates: CertificatesTable;
  certificate_locations: CertificateLocationsTable;
  certificate_requests: CertificateRequestsTable;
  internal_ca: InternalCaTable;
  certificate_deployment_targets: CertificateDeploymentTargetsTable;
  certificate_expiry_alerts: CertificateExpiryAlertsTable;
  certificate_shares: CertificateSharesTable;
  certificate_groups: CertificateGroupsTable;
  certificate_group_members: CertificateGroupMembersTable;
  certificate_group_shares: CertificateGroupSharesTable;
  certificate_install_keys: CertificateInstallKeysTable;
}

export interface InstanceTable {
  key: string;
  value: string;
}

export interface DataKeysTable {
  id: Generated<number>;
  /** 'data' seals secrets; 'audit-mac' keys the audit hash chain. */
  purpose: string;
  wrapped_key: Buffer;
  master_key_id: string;
  created_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  username: string;
  username_key: string;
  first_name: string | null;
  last_name: string | null;
  full_name: string | null;
  email: string | null;
  role: string;
  is_super_admin: number;
  is_api_user: number;
  department: string | null;
  location: string | null;
  /** API users may be bound to one client host (name or address). */
  allowed_host: string | null;
  password_hash: string | null;
  /** The password policy the login password must satisfy (a policy name). */
  password_policy: string | null;
  /** The enrolled TOTP secret (two-factor authentication), sealed; null when none is enrolled. */
  totp_secret_sealed: Buffer | null;
  /** The TOTP time step last accepted at sign-in: a code is good for one sign-in only. */
  totp_last_step: Generated<number | null>;
  locked: number;
  created_at: number;
  created_by: number | null;
}

/** A console session (ADR 042): keyed by the SHA-256 of the cookie's token. */
export interface ConsoleSessionsTable {
  token_hash: string;
  user_id: number;
  stage: 'second-factor' | 'signed-in';
  pending_totp_sealed: Buffer | null;
  second_factor_failures: Generated<number>;
  client_ip: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/** One-time recovery codes of a user's second factor, as SHA-256 hashes. */
export interface UserRecoveryCodesTable {
  id: Generated<number>;
  user_id: number;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  /** SHA-256 of the token, hex. The token itself is shown once and never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number | null;
}

export interface ResourcesTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  resource_type: string;
  dns_name: string | null;
  description: string | null;
  department: string | null;
  location: string | null;
  url: string | null;
  password_policy: string | null;
  owner_id: number;
  created_at: number;
  modified_at: number;
}

export interface AccountsTable {
  id: Generated<number>;
  resource_id: number;
  name: string;
  name_key: string;
  password_sealed: Buffer | null;
  password_policy: string | null;
  description: string | null;
  notes: string | null;
  owner_id: number;
  record_rdp_sessions: Generated<number>;
  record_cli_sessions: Generated<number>;
  disable_password_resets: Generated<number>;
  configure_password_reset: Generated<number>;
  iis_web_config_reset: Generated<number>;
  iis_app_pool_restart: Generated<number>;
  iis_app_pool_reset: Generated<number>;
  services_restart: Generated<number>;
  services_reset: Generated<number>;
  scheduled_task_reset: Generated<number>;
  /** Retrieval controls (0/1): a reason must be given; a ticket id is asked for / must be given. */
  is_reason_required: Generated<number>;
  is_ticketid_reqd: Generated<number>;
  is_ticketid_reqd_mandatory: Generated<number>;
  /** Password access control (request, approval, check-out) applies to this account. */
  access_control: Generated<number>;
  /** The account's TOTP secret (raw bytes, sealed); null when none is configured. */
  totp_secret_sealed: Generated<Buffer | null>;
  /** SHA1, SHA256 or SHA512; digits 6–8; period in seconds. Null when no TOTP is configured. */
  totp_algorithm: Generated<string | null>;
  totp_digits: Generated<number | null>;
  totp_period: Generated<number | null>;
  created_at: number;
  modified_at: number;
  password_changed_at: number;
}

export interface CustomFieldsTable {
  id: Generated<number>;
  /** 'resource' or 'account' */
  owner_kind: string;
  owner_id: number;
  position: number;
  label: string;
  label_key: string;
  field_type: string;
  /** Clear value for non-secret types; null for Password type. */
  value_text: string | null;
  /** Sealed value for Password type; null otherwise. */
  value_sealed: Buffer | null;
}

export interface PasswordHistoryTable {
  id: Generated<number>;
  account_id: number;
  password_sealed: Buffer | null;
  /** When this password stopped being the current one. */
  replaced_at: number;
  replaced_by: number | null;
}

export interface AccountFilesTable {
  account_id: number;
  file_name: string;
  content_type: string;
  size: number;
  content_sealed: Buffer;
  uploaded_at: number;
}

export interface AuditRecordsTable {
  seq: number;
  at: number;
  audit_type: string;
  operation: string;
  operator_id: number | null;
  operator_name: string;
  client_ip: string;
  client: string;
  resource_id: number | null;
  resource_name: string | null;
  account_id: number | null;
  account_name: string | null;
  target_user: string | null;
  reason: string | null;
  ticket_id: string | null;
  prev_hash: string;
  hash: string;
  /** The canonical encoding the hash covers (1: JSON, before 2026-12-04; 2: length-prefixed UTF-8). */
  encoding: number;
}

export interface AuditChainTable {
  id: number;
  last_seq: number;
  last_hash: string;
}

export interface UserGroupsTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  description: string | null;
  created_at: number;
  created_by: number | null;
}

export interface UserGroupMembersTable {
  group_id: number;
  user_id: number;
  added_at: number;
}

/** A stored grant: 'view' | 'modify' | 'full'. Revoking deletes the row. */
export type SharePermission = 'view' | 'modify' | 'full';

interface ShareColumns {
  id: Generated<number>;
  /** Exactly one of user_id and group_id is set. */
  user_id: number | null;
  group_id: number | null;
  permission: SharePermission;
  granted_at: number;
  granted_by: number | null;
}

export interface ResourceSharesTable extends ShareColumns {
  resource_id: number;
}

export interface AccountSharesTable extends ShareColumns {
  account_id: number;
}

/** Where a password access request stands (endpoints 10–15). */
export type PasswordRequestStatus = 'waiting' | 'approved' | 'rejected' | 'checked_out' | 'checked_in';

export interface PasswordRequestsTable {
  id: Generated<number>;
  account_id: number;
  requester_id: number;
  status: PasswordRequestStatus;
  reason: string | null;
  ticket_id: string | null;
  requested_at: number;
  decided_by: number | null;
  decided_at: number | null;
  checked_out_at: number | null;
  /** A checkout past this time counts as checked in (and is closed by the sweeper). */
  checkout_expires_at: number | null;
  checked_in_at: number | null;
  checked_in_by: number | null;
}

/** A password policy; `rules` is JSON (modules/policies/policies.types.ts). Exactly one row is the default. */
export interface PasswordPoliciesTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  description: string;
  rules: string;
  built_in: number;
  is_default: number;
}

/** A user named as an approver of an account's password requests. */
export interface AccountApproversTable {
  account_id: number;
  user_id: number;
}

/** Agent keys (endpoint 88): only the SHA-256 of each key; the key is shown once, when generated. */
export interface AgentKeysTable {
  id: Generated<number>;
  key_hash: string;
  created_at: number;
  created_by: number | null;
  /** Null: no time limit (a single-use key, valid until used or replaced). */
  expires_at: number | null;
  /** 1: the key is consumed by the first agent that authenticates with it. */
  single_use: number;
  used_at: number | null;
  replaced_at: number | null;
  /** 1 for the current key, null once replaced (unique: one current key at most). */
  current_slot: number | null;
}

/** One `bulwark serve` process on PostgreSQL and its heartbeat (endpoint 89). */
export interface ClusterNodesTable {
  node_id: string;
  host_name: string;
  address: string;
  port: number;
  pid: number;
  started_at: number;
  last_seen: number;
  /** Set when the process shut down cleanly. */
  stopped_at: number | null;
}

/** A named lease held by one node until `expires_at` (database time); renewed by its holder. */
export interface ClusterLeasesTable {
  name: string;
  holder: string;
  acquired_at: number;
  expires_at: number;
}

/** A resource group (ADR 012): static (listed members) or dynamic (criteria matched live). */
export interface ResourceGroupsTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  description: string | null;
  group_type: 'static' | 'dynamic';
  /** Dynamic groups: 1 when every criterion must match (and), 0 when one suffices (or). */
  match_all: number;
  parent_id: number | null;
  /** A password policy name: applies to member resources without a policy of their own. */
  password_policy: string | null;
  /** 1: grants through this group do not release passwords (see ADR 012). */
  no_helpdesk_retrieval: number;
  owner_id: number;
  created_at: number;
}

/** One condition of a dynamic group; `pattern` is an escaped, lower-case LIKE pattern. */
export interface ResourceGroupCriteriaTable {
  group_id: number;
  position: number;
  field: string;
  custom_label_key: string | null;
  operator: string;
  value: string;
  pattern: string;
  negate: number;
}

export interface ResourceGroupMembersTable {
  group_id: number;
  resource_id: number;
}

export interface ResourceGroupAccountsTable {
  group_id: number;
  account_id: number;
}

export interface ResourceGroupSharesTable extends ShareColumns {
  resource_group_id: number;
}

export interface ApplicationsTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  /** DNS name or IP address the application connects from. */
  host: string;
  /** 'Linux' or 'Windows' */
  resource_type: string;
  /** Comma-separated: RETRIEVE, RESET_LOCAL, RESET_REMOTE, CREATE. */
  operations: string;
  /** The user whose permissions the application inherits. */
  user_id: number;
  created_at: number;
}

export interface ApplicationCertificatesTable {
  id: Generated<number>;
  application_id: number;
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  fingerprint: string;
  subject: string;
  serial: string;
  not_before: number;
  not_after: number;
  imported_at: number;
}

/** A background job (ADR 024): claimed by one node with a lease, retried with backoff. Nothing secret. */
export interface JobsTable {
  id: Generated<number>;
  kind: string;
  /** JSON. */
  payload: string;
  /** queued, running, succeeded, failed, cancelled. */
  status: string;
  run_after: number;
  /** Claims so far, counting a re-claim after the previous holder's lease expired. */
  attempts: number;
  max_attempts: number;
  /** The node holding the job while it runs. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  progress_done: number;
  progress_total: number | null;
  progress_note: string | null;
  last_error: string | null;
  /** JSON. */
  result: string | null;
  /** Unique among unfinished jobs (partial unique index). */
  dedupe_key: string | null;
  created_at: number;
  created_by: number | null;
  started_at: number | null;
  finished_at: number | null;
  /** The user who cancelled the job (null: not cancelled, or cancelled by the system / operator). */
  cancelled_by: number | null;
  /** When a cancel was asked; a running job stays running until its handler reaches a safe point. */
  cancel_requested_at: number | null;
}

/** How a resource's passwords are changed on the target (endpoint 63, ADR 027); keyed by the resource. */
export interface RemoteResetConfigsTable {
  resource_id: number;
  /** linux, postgresql, mysql. */
  kind: string;
  /** Always 'ssh' (telnet is refused). */
  remote_mode: string;
  port: number;
  user_prompt: string;
  root_prompt: string;
  /** RESOURCEIDENTIFIER: linux or others. */
  resource_identifier: string;
  landing_resource_id: number | null;
  login_account_id: number | null;
  reset_account_id: number | null;
  root_account_id: number | null;
  /** passauth or keyauth. */
  authentication: string;
  /** su or sudo. */
  elevation: string;
  remove_enter: number;
  database_name: string | null;
  /** The login account's private key (keyauth), sealed to this row (resource id) and column. */
  private_key_sealed: Buffer | null;
  passphrase_sealed: Buffer | null;
  /** SHA256:… of the key's public half. */
  key_fingerprint: string | null;
  /** The resource's DNSNAME this configuration was confirmed for (ADR 030); changes go only there. */
  confirmed_host: string | null;
  configured_by: number | null;
  configured_at: number;
}

/** The pinned SSH host key of one host:port (trust on first use, or accepted by an administrator). */
export interface SshHostKeysTable {
  host: string;
  port: number;
  algorithm: string;
  /** Base64 public key blob, as in known_hosts. */
  public_key: string;
  fingerprint: string;
  pinned_at: number;
  pinned_how: string;
  pinned_by: string;
}

/** A host key offered by a host that differed from its pin (the connection was refused). */
export interface SshOfferedHostKeysTable {
  id: Generated<number>;
  host: string;
  port: number;
  algorithm: string;
  public_key: string;
  fingerprint: string;
  first_offered_at: number;
  last_offered_at: number;
  times_offered: number;
}

/** A password change on a real target (ADR 028): pending until verified, then completed or failed. */
export interface PasswordRotationsTable {
  id: Generated<number>;
  account_id: number;
  resource_id: number;
  status: 'pending' | 'completed' | 'failed';
  /** api, a2a, checkin, schedule, bulk, reconcile. */
  trigger: string;
  /** The new password (sealed, bound to this row) while pending; null once settled. */
  password_sealed: Buffer | null;
  requested_by: number | null;
  requested_by_name: string;
  /** RemoteFailureReason of the last failure, when any. */
  reason: string | null;
  /** The last outcome in words (never a secret). */
  message: string | null;
  attempts: Generated<number>;
  created_at: number;
  updated_at: number;
  settled_at: number | null;
}

/** A rotation or verification schedule (ADR 029) on exactly one account, resource or resource group. */
export interface RotationSchedulesTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  action: 'rotate' | 'verify';
  account_id: number | null;
  resource_id: number | null;
  resource_group_id: number | null;
  /** Every N days; exactly one of interval_days and cron is set. */
  interval_days: number | null;
  /** A five-field cron expression in the instance's time zone. */
  cron: string | null;
  /** 1: a run rotates only accounts whose password is older than their policy's validity. */
  only_expired: number;
  enabled: number;
  next_run_at: number;
  last_run_at: number | null;
  /** The last run in words (how many jobs were queued); never a secret. */
  last_summary: string | null;
  created_by: number;
  created_at: number;
  modified_at: number;
}

/** An SSH key of the key store (issue 13, ADR 031). */
export interface SshKeysTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  key_type: 'ssh-rsa' | 'ssh-dss' | 'ed25519' | 'ecdsa';
  bits: number;
  /** `SHA256:…` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /** The authorized_keys line. */
  public_key: string;
  comment: string;
  /** The OpenSSH private key file (encrypted with the passphrase when set); null only mid-insert. */
  private_key_sealed: Buffer | null;
  passphrase_sealed: Buffer | null;
  origin: 'created' | 'imported';
  owner_id: number;
  created_by: string;
  created_at: number;
}

export interface SshKeySharesTable extends ShareColumns {
  key_id: number;
}

/** Where a key is deployed: a line of ~user_name/.ssh/authorized_keys on the resource. */
export interface SshKeyAssociationsTable {
  id: Generated<number>;
  key_id: number;
  resource_id: number;
  user_name: string;
  deployed_at: number;
  deployed_by: string;
}

/** The last SSH key discovery of a resource (ADR 034): when it succeeded, and the last attempt. */
export interface SshKeyDiscoveriesTable {
  id: Generated<number>;
  resource_id: number;
  discovered_at: number | null;
  discovered_by: string | null;
  /** `host:port` the findings were read from. */
  host: string | null;
  attempted_at: number;
  attempted_by: string;
  /** Why the last attempt failed (a RemoteFailureReason, not-configured, not-linux); null when it succeeded. */
  error_reason: string | null;
  error: string | null;
}

/** One account's authorized_keys as the last discovery found it. */
export interface SshKeyDiscoveryAccountsTable {
  id: Generated<number>;
  resource_id: number;
  user_name: string;
  file_state: 'present' | 'missing' | 'unreadable' | 'symlink' | 'truncated';
  /** JSON array of `{line, text, problem}`. */
  invalid_lines: string;
}

/** A key line found in an account's authorized_keys by the last discovery. */
export interface SshKeyFindingsTable {
  id: Generated<number>;
  resource_id: number;
  user_name: string;
  line: number;
  /** As sshd names it (ssh-ed25519, ecdsa-sha2-nistp256, …). */
  key_type: string;
  bits: number;
  fingerprint: string;
  /** `type base64 [comment]`, without options. */
  public_key: string;
  comment: string;
  options: string;
  first_seen: number;
  last_seen: number;
}

/** A rotation of a key of the store (ADR 035): pending until every host settled, then completed or failed. */
export interface SshKeyRotationsTable {
  id: Generated<number>;
  key_id: number;
  status: 'pending' | 'completed' | 'failed';
  /** adding (phase 1), rolling-back (after a failure of phase 1), removing-old (switched, phase 2). */
  phase: 'adding' | 'rolling-back' | 'removing-old';
  /** api, cli, schedule. */
  trigger: string;
  new_public_key: string;
  new_fingerprint: string;
  /** The new private key file (sealed, bound to this row) until switched or failed. */
  new_private_key_sealed: Buffer | null;
  /** What the rotation replaced, kept for good. */
  old_public_key: string;
  old_fingerprint: string;
  /** The replaced private key file (sealed) from the switch until no host holds its line. */
  old_private_key_sealed: Buffer | null;
  requested_by: number | null;
  requested_by_name: string;
  /** The last outcome in words (never a secret). */
  message: string | null;
  attempts: Generated<number>;
  created_at: number;
  updated_at: number;
  switched_at: number | null;
  settled_at: number | null;
}

/** One host (resource and account) of a key rotation and how far it got. */
export interface SshKeyRotationHostsTable {
  id: Generated<number>;
  rotation_id: number;
  /** Not a foreign key: the record outlives the resource. */
  resource_id: number;
  resource_name: string;
  user_name: string;
  state: 'todo' | 'adding' | 'verified' | 'failed' | 'rolled-back' | 'done' | 'gone';
  message: string | null;
  updated_at: number;
}

/** When a key is rotated by itself (ADR 035): every N days or a cron expression. */
export interface SshKeyRotationSchedulesTable {
  id: Generated<number>;
  key_id: number;
  interval_days: number | null;
  cron: string | null;
  next_run_at: number;
  last_run_at: number | null;
  last_summary: string | null;
  /** Null: set by the local operator (CLI). */
  created_by: number | null;
  created_by_name: string;
  created_at: number;
  modified_at: number;
}

/** A certificate of the repository (issue 14, ADR 036): fields read once from its DER. */
export interface CertificatesTable {
  id: Generated<number>;
  common_name: string;
  common_name_key: string;
  /** As openssl prints it (`C = US, O = Acme, CN = a`). */
  subject: string;
  issuer: string;
  issuer_common_name: string;
  /** Uppercase hex, as `openssl x509 -serial`. */
  serial: string;
  /** JSON {"dns":[],"ip":[],"email":[],"uri":[]}. */
  sans: string;
  /** `AA:BB:…` as `openssl x509 -fingerprint -sha256`; unique. */
  sha256: string;
  sha1: string;
  key_algorithm: string;
  key_bits: number;
  curve: string | null;
  /** openssl's name (sha256WithRSAEncryption, ecdsa-with-SHA256, …). */
  signature_algorithm: string;
  not_before: number;
  not_after: number;
  self_signed: number;
  is_ca: number;
  der: Buffer;
  issuer_id: number | null;
  /** The private key as given (PEM, encrypted with the passphrase when set); null when none. */
  private_key_sealed: Buffer | null;
  passphrase_sealed: Buffer | null;
  source: 'added' | 'discovered' | 'issued';
  owner_id: number;
  added_by: string;
  added_at: number;
}

/** Where discovery found a certificate: host, port and the SNI name sent ('' for none). */
export interface CertificateLocationsTable {
  id: Generated<number>;
  certificate_id: number;
  host: string;
  port: number;
  servername: string;
  first_seen: number;
  last_seen: number;
}

/** A CSR made here (endpoint 42, ADR 039); its key sealed to the row. */
export interface CertificateRequestsTable {
  id: Generated<number>;
  common_name: string;
  common_name_key: string;
  subject: string;
  /** JSON {"dns":[],"ip":[]}. */
  sans: string;
  key_algorithm: 'RSA' | 'EC';
  key_bits: number;
  signature_algorithm: string;
  validity: number;
  validity_type: 'days' | 'hours' | 'minutes';
  keystore_type: 'PKCS12' | 'JKS';
  csr_pem: string;
  /** PKCS#8 PEM, encrypted with the password when one was given; sealed. */
  private_key_sealed: Buffer | null;
  password_sealed: Buffer | null;
  owner_id: number;
  created_by: string;
  created_at: number;
  certificate_id: number | null;
  signed_at: number | null;
}

/** The installation's internal CA (one row, id 1; ADR 039). */
export interface InternalCaTable {
  id: number;
  common_name: string;
  certificate_der: Buffer;
  /** PKCS#8 PEM, sealed; opened only to sign (vault `internalCaKey`). */
  private_key_sealed: Buffer;
  created_by: string;
  created_at: number;
}

/** A certificate shared to a user or a user group (ADR 040). */
export interface CertificateSharesTable extends ShareColumns {
  certificate_id: number;
}

/** A named group of certificates (endpoints 73-75, ADR 040). */
export interface CertificateGroupsTable {
  id: Generated<number>;
  name: string;
  name_key: string;
  description: string | null;
  mail: string | null;
  owner_id: number;
  created_by: string;
  created_at: number;
  modified_at: number;
}

/** A certificate in a group; `added_by` bounds what shares of the group confer on it. */
export interface CertificateGroupMembersTable {
  group_id: number;
  certificate_id: number;
  added_by: number;
  added_at: number;
}

/** A certificate group shared to a user or a user group; `granted_by` bounds it (ADR 040). */
export interface CertificateGroupSharesTable extends ShareColumns {
  certificate_group_id: number;
}

/** The SSL agent install key (endpoint 76): only its SHA-256; one current at most. */
export interface CertificateInstallKeysTable {
  id: Generated<number>;
  key_hash: string;
  created_at: number;
  created_by: number | null;
  replaced_at: number | null;
  current_slot: number | null;
}

/** A saved server of a certificate: where endpoint 64 writes it and how it verifies (ADR 041). */
export interface CertificateDeploymentTargetsTable {
  id: Generated<number>;
  certificate_id: number;
  resource_id: number;
  certificate_path: string;
  key_path: string | null;
  pfx_path: string | null;
  file_owner: string | null;
  reload_command: string | null;
  verify_host: string;
  verify_port: number;
  verify_servername: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  last_status: 'Success' | 'Failed' | null;
  last_message: string | null;
  last_deployed_at: number | null;
  last_deployed_by: string | null;
}

/** A certificate found within an expiry threshold by the expiry job: once per pair (ADR 041). */
export interface CertificateExpiryAlertsTable {
  id: Generated<number>;
  certificate_id: number;
  threshold_days: number;
  not_after: number;
  days_left: number;
  alerted_at: number;
  alerted_by: string;
}

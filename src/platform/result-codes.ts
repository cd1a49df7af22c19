/**
 * Every result code Bulwark answers, in one typed catalogue: the number clients read in
 * `operation.result.statusCode`, the HTTP status it travels with, and what it means.
 * docs/api-errors.md is generated from this table (`npm run docs`) and checked in CI
 * (test/docs/generated-docs.test.ts), so the documentation cannot drift from the code.
 *
 * Logical failures are HTTP 200 with `"status":"Failed"` (the PMP convention); only faults of
 * the server itself use other HTTP statuses. A code that is not here does not type-check as a
 * DomainError code.
 */
export interface ResultCodeEntry {
  readonly code: number;
  readonly http: number;
  /** One line for docs/api-errors.md (Markdown). */
  readonly meaning: string;
}

export const RESULT_CODES = {
  success: { code: 20000, http: 200, meaning: 'success' },
  shareTriggered: {
    code: 20001,
    http: 200,
    meaning:
      'success of a resource-group share or revoke (60, 61), as PAM360 answers it: "… action triggered"',
  },
  noItemSucceeded: {
    code: 40000,
    http: 200,
    meaning:
      'a request on several items changed none of them (79, 80 `RESOURCEIDS`); `Details` holds the outcome per item',
  },
  invalidInput: {
    code: 40001,
    http: 200,
    meaning: 'the input is invalid (a value of the wrong shape or out of range)',
  },
  missingField: { code: 40002, http: 200, meaning: 'a mandatory field is missing or empty' },
  invalidJson: { code: 40003, http: 200, meaning: 'INPUT_DATA is not valid JSON (even leniently read)' },
  tooLong: { code: 40004, http: 200, meaning: 'a value is longer than its limit' },
  invalidId: { code: 40005, http: 200, meaning: 'an ID is not a valid ID (not a positive integer)' },
  justificationRequired: {
    code: 40006,
    http: 200,
    meaning:
      "a retrieval the account's controls refuse: a required `REASON` or a mandatory `TICKETID` is missing (ADR 010)",
  },
  unreadableInput: {
    code: 40007,
    http: 200,
    meaning:
      'the input cannot be read as what it claims to be: a multipart body that ends early or is malformed, bytes that are not UTF-8, text that is not valid Unicode (a lone surrogate)',
  },
  shareToSelf: {
    code: 40010,
    http: 200,
    meaning: 'a share to the caller themselves (`You cannot share to yourself`)',
  },
  policyRefused: {
    code: 40020,
    http: 200,
    meaning:
      'a password does not satisfy its password policy; the message names the rule it breaks, never the password (5, 6, 21, 86)',
  },
  authentication: {
    code: 40100,
    http: 200,
    meaning: 'authentication failed (operation name `Authentication`, no `Details`)',
  },
  notPermitted: { code: 40300, http: 200, meaning: 'the caller may see the object but not do this to it' },
  ticketRefused: {
    code: 40310,
    http: 200,
    meaning:
      'the ticket system refused the ticket id (unknown, not open, not assigned to the caller); nothing was released',
  },
  notFound: {
    code: 40400,
    http: 200,
    meaning: 'the object does not exist, or the caller may not see it (one answer for both)',
  },
  unknownEndpoint: { code: 40401, http: 200, meaning: 'there is no endpoint at this path' },
  methodNotAllowed: { code: 40500, http: 200, meaning: 'the path exists but not with this HTTP method' },
  conflict: {
    code: 40900,
    http: 200,
    meaning:
      'a name is taken, none of the accounts of an ADD ACCOUNTS request could be added, or the change would leave no active super administrator',
  },
  payloadTooLarge: {
    code: 41300,
    http: 200,
    meaning: 'the body or an uploaded file is larger than the limit',
  },
  notAvailable: {
    code: 42200,
    http: 200,
    meaning:
      'a well-formed request the current configuration cannot carry out (e.g. `RESETTYPE` `REMOTE` without remote reset)',
  },
  remoteResetFailed: {
    code: 42210,
    http: 200,
    meaning:
      "a remote password reset (5 `RESETTYPE` `REMOTE`, the toolkit's `RESET_REMOTE`) the target did not take or has not confirmed yet: `Password reset failed: <why>`; the vault's password is unchanged (ADR 028)",
  },
  sshKeyHostFailed: {
    code: 42220,
    http: 200,
    meaning:
      'an SSH key operation on a host (52 associate, 53 dissociate, 26 delete dissociating first, 30 `reconcile`) the host did not carry out, saying why: nothing is left half-done there (a line added is taken off again) and nothing is recorded (ADR 033)',
  },
  sshKeyRotationFailed: {
    code: 42230,
    http: 200,
    meaning:
      'an SSH key rotation (`rotateSSHKey`, ADR 035) that did not complete: rolled back (the vault keeps the old key, no host holds the new one) or not finished (pending: reconciliation finishes or rolls it back); also `settleSSHKeyRotation` when the rotation stays pending; `details` holds the outcome per host',
  },
  certificateDeploymentFailed: {
    code: 42240,
    http: 200,
    meaning:
      'a certificate deployment (64 `deployCertificate`, ADR 041) that did not succeed on every server: `deployStatus` says per server why (unreachable, refused login, a path refused by the host, the reload command failing, or the server serving another certificate afterwards)',
  },
  userGroupItemFailed: {
    code: 46000,
    http: 200,
    meaning:
      'a user-group request on several ids (87 `userGroupIds`, 90) changed none of them; `Details` holds the outcome per id',
  },
  internal: {
    code: 50000,
    http: 500,
    meaning: 'internal error; nothing was changed; the message carries a reference found in the server log',
  },
  integrity: {
    code: 50010,
    http: 200,
    meaning: 'a stored secret failed its integrity check; it was not released',
  },
  ticketSystemUnavailable: {
    code: 50300,
    http: 200,
    meaning:
      'the ticket system could not validate the ticket id (timed out, unreachable, non-2xx answer, garbage); nothing was released',
  },
  databaseUnavailable: {
    code: 50301,
    http: 503,
    meaning:
      'the database cannot be reached (stopped, restarting, network down), or another process held the SQLite write lock for longer than 10 s; nothing was changed; retry once it is back (ADR 022)',
  },
  storageFull: {
    code: 50701,
    http: 507,
    meaning:
      'the disk under the database or the data directory is full; nothing of the request was written (ADR 022)',
  },
} as const satisfies Record<string, ResultCodeEntry>;

export type ResultCodeName = keyof typeof RESULT_CODES;
/** A code of the catalogue, as a literal type: 20000 | 40000 | 40001 | … */
export type ResultCode = (typeof RESULT_CODES)[ResultCodeName]['code'];

const BY_CODE: ReadonlyMap<number, ResultCodeEntry> = new Map(
  Object.values(RESULT_CODES).map((entry) => [entry.code, entry]),
);

/** Every entry, in code order. */
export function resultCodes(): readonly ResultCodeEntry[] {
  return [...BY_CODE.values()].sort((a, b) => a.code - b.code);
}

export function isResultCode(code: number): code is ResultCode {
  return BY_CODE.has(code);
}

/** The HTTP status an answer with this code travels with (200 for every logical failure). */
export function httpStatusOf(code: ResultCode): number {
  return BY_CODE.get(code)!.http;
}

import type { PmpInput } from '../../http/input.js';
import { Secret } from '../../platform/crypto/secret.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { canonicalRole, LIMITS, ROLES, type TokenExpiry, type UserDraft } from './identity.types.js';

/**
 * Endpoints 17 and 24. Every field may come as a query parameter or in INPUT_DATA Details
 * (PmpInput.value); shapes are checked here, state (duplicates, policy, host resolution) in
 * the service.
 */
export function readUserDraft(input: PmpInput): UserDraft {
  const text = (name: string, max: number) => {
    const value = input.value(name, max);
    return value === undefined || value === '' ? undefined : value;
  };
  const username = text('USERNAME', LIMITS.username);
  if (username === undefined) throw new MissingFieldError('USERNAME');
  if (/[\u0000-\u001f\u007f]/.test(username)) {
    throw new InvalidInputError('USERNAME contains control characters');
  }
  const roleText = text('ROLE', 100);
  if (roleText === undefined) throw new MissingFieldError('ROLE');
  const role = canonicalRole(roleText);
  if (role === undefined) {
    throw new InvalidInputError(`ROLE must be one of ${ROLES.join(', ')}; got "${roleText.slice(0, 60)}"`);
  }
  const email = text('EMAIL', LIMITS.email);
  if (email !== undefined && !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new InvalidInputError(`EMAIL "${email.slice(0, 60)}" is not an e-mail address`);
  }
  const hostName = text('HOSTNAME', LIMITS.hostName);
  if (hostName !== undefined && !/^[A-Za-z0-9_:.%-]+$/.test(hostName)) {
    throw new InvalidInputError(`HOSTNAME "${hostName.slice(0, 60)}" is not a host name or address`);
  }
  return {
    username,
    firstName: text('FIRSTNAME', LIMITS.name),
    lastName: text('LASTNAME', LIMITS.name),
    fullName: text('FULLNAME', LIMITS.name),
    email,
    policy: text('POLICY', 100),
    role,
    isSuperAdmin: flag(input, 'ISSUPERADMIN'),
    password: readPassword(input),
    department: text('DEPARTMENT', LIMITS.department),
    location: text('LOCATION', LIMITS.location),
    isApiUser: flag(input, 'ISAPIUSER'),
    hostName,
    expiry: readExpiry(input.value('EXPIRYDATE', 40)),
  };
}

/** Every field {@link readUserDraft} reads. */
export const USER_DRAFT_FIELDS: readonly string[] = [
  'USERNAME',
  'ROLE',
  'EMAIL',
  'HOSTNAME',
  'FIRSTNAME',
  'LASTNAME',
  'FULLNAME',
  'POLICY',
  'ISSUPERADMIN',
  'PASSWORD',
  'DEPARTMENT',
  'LOCATION',
  'ISAPIUSER',
  'EXPIRYDATE',
];

function flag(input: PmpInput, name: string): boolean {
  const value = input.value(name, 10);
  if (value === undefined || value === '') return false;
  const lower = value.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new InvalidInputError(`${name} must be "true" or "false"; got "${value}"`);
}

/** The password exactly as sent (never trimmed), from the query/form or INPUT_DATA. */
function readPassword(input: PmpInput): Secret | undefined {
  const fromParams = input.param('PASSWORD');
  if (fromParams !== undefined && fromParams !== '') {
    if (fromParams.length > LIMITS.password) {
      throw new InvalidInputError(
        `PASSWORD is longer than the maximum of ${LIMITS.password} characters`,
        RESULT_CODES.tooLong.code,
      );
    }
    return new Secret(fromParams);
  }
  return input.details().secret('PASSWORD', { maxLength: LIMITS.password });
}

/** `yyyy-mm-dd` (a real calendar date) or `NeverExpires`; absent means never. */
export function readExpiry(value: string | undefined): TokenExpiry {
  if (value === undefined || value === '') return { kind: 'never' };
  if (/^never\s*expires?$/i.test(value)) return { kind: 'never' };
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match) {
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const probe = new Date(Date.UTC(year, month - 1, day));
    if (probe.getUTCFullYear() === year && probe.getUTCMonth() === month - 1 && probe.getUTCDate() === day) {
      return { kind: 'date', year, month, day };
    }
  }
  throw new InvalidInputError(
    `EXPIRYDATE must be a date as yyyy-mm-dd or NeverExpires; got "${value.slice(0, 40)}"`,
  );
}

import type { Secret } from '../../platform/crypto/secret.js';

/**
 * The rules of the built-in password policies, applied to login passwords. Minimal but real:
 * length bounds and the character classes each policy name promises. Custom policies (with
 * their own stored rules) replace this table in a later issue; callers keep calling
 * {@link loginPasswordProblems}.
 *
 * "Strong" must accept the document's own sample (`Test@123`, policy Strong), so its minimum
 * is 8. "Offline Password File" protects exported files and is held to the Strong rules.
 */
interface PolicyRules {
  readonly minLength: number;
  readonly maxLength: number;
  readonly mixedCase: boolean;
  readonly digit: boolean;
  readonly special: boolean;
}

const RULES: Readonly<Record<string, PolicyRules>> = {
  low: { minLength: 4, maxLength: 128, mixedCase: false, digit: false, special: false },
  medium: { minLength: 8, maxLength: 128, mixedCase: true, digit: true, special: false },
  strong: { minLength: 8, maxLength: 128, mixedCase: true, digit: true, special: true },
  'offline password file': { minLength: 8, maxLength: 128, mixedCase: true, digit: true, special: true },
};

/**
 * What is wrong with `password` under the policy `policyName` (a canonical built-in name), as
 * phrases for a message; empty when it complies. The phrases never quote the password.
 * An unknown policy name throws: callers resolve the name first.
 */
export function loginPasswordProblems(policyName: string, password: Secret): string[] {
  const rules = RULES[policyName.toLowerCase()];
  if (rules === undefined) throw new Error(`no rules for password policy ${policyName}`);
  const text = password.reveal();
  // Length in characters (code points), not UTF-16 units.
  const length = [...text].length;
  const problems: string[] = [];
  if (length < rules.minLength) problems.push(`at least ${rules.minLength} characters`);
  if (length > rules.maxLength) problems.push(`at most ${rules.maxLength} characters`);
  if (rules.mixedCase && !(/\p{Lu}/u.test(text) && /\p{Ll}/u.test(text))) {
    problems.push('both upper-case and lower-case letters');
  }
  if (rules.digit && !/\p{Nd}/u.test(text)) problems.push('a digit');
  if (rules.special && !/[^\p{L}\p{Nd}]/u.test(text)) problems.push('a special character');
  return problems;
}

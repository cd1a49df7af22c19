import { request } from './http';

/** The rules of a password policy, as the server stores them (policies.types.ts). */
export interface PolicyRules {
  readonly minLength: number;
  readonly maxLength: number;
  readonly mixedCase: boolean;
  readonly minUppercase: number;
  readonly minLowercase: number;
  readonly enforceNumerals: boolean;
  readonly minNumerals: number;
  readonly enforceSpecials: boolean;
  readonly minSpecials: number;
  readonly startWithLetter: boolean;
  readonly checkDictionary: boolean;
  readonly checkKeyboardSequence: boolean;
  readonly checkAlphabetSequence: boolean;
  readonly checkNumericSequence: boolean;
  readonly checkConsecutiveSequence: boolean;
  readonly sequenceLength: number;
  readonly checkRepeatedSubstring: boolean;
  readonly allowLoginName: boolean;
  readonly checkLoginNameAnagram: boolean;
  readonly checkObviousSubstitution: boolean;
  readonly reuseLast: number;
  readonly checkSimilarity: boolean;
  readonly similarityLast: number;
  readonly validityDays: number;
}

export interface PasswordPolicy {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  readonly builtIn: boolean;
  readonly isDefault: boolean;
  readonly rules: PolicyRules;
}

export interface PolicyDraft {
  readonly name?: string;
  readonly description?: string;
  readonly isDefault?: boolean;
  readonly rules: Partial<PolicyRules>;
}

export const policiesApi = {
  passwordPolicies(signal?: AbortSignal): Promise<{ items: readonly PasswordPolicy[] }> {
    return request('GET', '/password-policies', { signal });
  },
  createPasswordPolicy(draft: PolicyDraft): Promise<PasswordPolicy> {
    return request('POST', '/password-policies', { body: draft });
  },
  editPasswordPolicy(id: number, draft: PolicyDraft): Promise<PasswordPolicy> {
    return request('PUT', `/password-policies/${id}`, { body: draft });
  },
  deletePasswordPolicy(id: number): Promise<unknown> {
    return request('DELETE', `/password-policies/${id}`);
  },
  accountPasswordPolicy(
    resourceId: number,
    accountId: number,
    signal?: AbortSignal,
  ): Promise<{ policy: PasswordPolicy }> {
    return request('GET', `/resources/${resourceId}/accounts/${accountId}/password-policy`, { signal });
  },
  generatePassword(
    resourceId: number,
    accountId: number,
  ): Promise<{ password: string; policy: PasswordPolicy }> {
    return request('POST', `/resources/${resourceId}/accounts/${accountId}/generated-password`);
  },
  changeOwnPassword(change: {
    currentPassword: string;
    newPassword: string;
    confirmation: string;
  }): Promise<{ otherSessionsEnded: number }> {
    return request('POST', '/session/password', { body: change });
  },
};

/** The rules in words, for a hint under a password field and the policies table. */
export function describeRules(rules: PolicyRules): string[] {
  const out: string[] = [`${rules.minLength} to ${rules.maxLength} characters`];
  const upper = Math.max(rules.minUppercase, rules.mixedCase ? 1 : 0);
  const lower = Math.max(rules.minLowercase, rules.mixedCase ? 1 : 0);
  const digits = Math.max(rules.minNumerals, rules.enforceNumerals ? 1 : 0);
  const specials = Math.max(rules.minSpecials, rules.enforceSpecials ? 1 : 0);
  if (upper > 0) out.push(`at least ${upper} upper-case`);
  if (lower > 0) out.push(`at least ${lower} lower-case`);
  if (digits > 0) out.push(`at least ${digits} numeral${digits === 1 ? '' : 's'}`);
  if (specials > 0) out.push(`at least ${specials} special character${specials === 1 ? '' : 's'}`);
  if (rules.startWithLetter) out.push('starts with a letter');
  if (rules.checkDictionary) out.push('no common words');
  const sequences = [
    rules.checkKeyboardSequence ? 'keyboard' : '',
    rules.checkAlphabetSequence ? 'alphabet' : '',
    rules.checkNumericSequence ? 'numeric' : '',
    rules.checkConsecutiveSequence ? 'repeated-character' : '',
  ].filter((s) => s !== '');
  if (sequences.length > 0)
    out.push(`no ${sequences.join(', ')} sequences of ${rules.sequenceLength} or more`);
  if (rules.checkRepeatedSubstring) out.push('no repeated blocks');
  if (!rules.allowLoginName) out.push('not containing the login name');
  if (rules.checkLoginNameAnagram) out.push('no anagram of the login name');
  if (rules.checkObviousSubstitution) out.push('substitutions like p@ssw0rd count as words');
  if (rules.reuseLast > 0) out.push(`not one of the last ${rules.reuseLast}`);
  if (rules.checkSimilarity && rules.similarityLast > 0)
    out.push(`not similar to the last ${rules.similarityLast}`);
  if (rules.validityDays > 0) out.push(`expires after ${rules.validityDays} days`);
  return out;
}

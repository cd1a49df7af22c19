/**
 * The rules of one password policy: every attribute endpoint 77 shows. Stored as JSON in
 * `password_policies.rules`; {@link normaliseRules} fills attributes a stored row lacks, so a
 * later build may add a rule without a data migration.
 */
export interface PolicyRules {
  readonly minLength: number;
  readonly maxLength: number;
  /** At least one upper-case and one lower-case letter (and the counts below). */
  readonly mixedCase: boolean;
  readonly minUppercase: number;
  readonly minLowercase: number;
  readonly enforceNumerals: boolean;
  readonly minNumerals: number;
  readonly enforceSpecials: boolean;
  readonly minSpecials: number;
  readonly startWithLetter: boolean;
  /** A common word or password (the built-in list, dictionary.ts). */
  readonly checkDictionary: boolean;
  readonly checkKeyboardSequence: boolean;
  readonly checkAlphabetSequence: boolean;
  readonly checkNumericSequence: boolean;
  /** The same character repeated `sequenceLength` times. */
  readonly checkConsecutiveSequence: boolean;
  /** How long a sequence must be to count (3 to 10). */
  readonly sequenceLength: number;
  /** A block of 3 or more characters immediately repeated ("abcabc"). */
  readonly checkRepeatedSubstring: boolean;
  /** "PASSWORD CAN CONTAIN LOGINNAME": when false, the login name (3+ characters) is refused. */
  readonly allowLoginName: boolean;
  readonly checkLoginNameAnagram: boolean;
  /** Undo obvious substitutions (p@ssw0rd → password) before the dictionary and login-name checks. */
  readonly checkObviousSubstitution: boolean;
  /** Refuse the current password and the last N-1 earlier ones (0: reuse allowed). */
  readonly reuseLast: number;
  /** Refuse a password equal to one of the last N ignoring case and digits (Summer2024! after Summer2023!). */
  readonly checkSimilarity: boolean;
  readonly similarityLast: number;
  /** Days a password stays valid (0: forever). Stored and shown; expiry reminders are a later issue. */
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

/** What a custom policy is created from, or an edit changes. */
export interface PolicyDraft {
  readonly name?: string;
  readonly description?: string;
  readonly isDefault?: boolean;
  readonly rules: Partial<PolicyRules>;
}

export const POLICY_LIMITS = { name: 100, description: 250, length: 256, count: 256 } as const;

/** The most lenient value of each rule: what a custom policy starts from. */
export const LENIENT_RULES: PolicyRules = {
  minLength: 1,
  maxLength: 128,
  mixedCase: false,
  minUppercase: 0,
  minLowercase: 0,
  enforceNumerals: false,
  minNumerals: 0,
  enforceSpecials: false,
  minSpecials: 0,
  startWithLetter: false,
  checkDictionary: false,
  checkKeyboardSequence: false,
  checkAlphabetSequence: false,
  checkNumericSequence: false,
  checkConsecutiveSequence: false,
  sequenceLength: 5,
  checkRepeatedSubstring: false,
  allowLoginName: true,
  checkLoginNameAnagram: false,
  checkObviousSubstitution: false,
  reuseLast: 0,
  checkSimilarity: false,
  similarityLast: 0,
  validityDays: 0,
};

/** Stored JSON (possibly from an older build) → complete rules; unknown keys are ignored. */
export function normaliseRules(stored: unknown): PolicyRules {
  const source = (typeof stored === 'object' && stored !== null ? stored : {}) as Record<string, unknown>;
  const rules: Record<string, number | boolean> = { ...LENIENT_RULES };
  for (const [key, lenient] of Object.entries(LENIENT_RULES)) {
    const value = source[key];
    if (typeof value === typeof lenient) rules[key] = value as number | boolean;
  }
  return rules as unknown as PolicyRules;
}

/** The least number of characters the rules require by class. */
export function requiredCounts(rules: PolicyRules) {
  return {
    upper: Math.max(rules.minUppercase, rules.mixedCase ? 1 : 0),
    lower: Math.max(rules.minLowercase, rules.mixedCase ? 1 : 0),
    digits: Math.max(rules.minNumerals, rules.enforceNumerals ? 1 : 0),
    specials: Math.max(rules.minSpecials, rules.enforceSpecials ? 1 : 0),
  };
}

/**
 * Why these rules cannot be satisfied or make no sense, or undefined. Checked on every create
 * and edit, so a stored policy can always be met (and the generator always succeeds).
 */
export function contradictionIn(rules: PolicyRules): string | undefined {
  return contradictingRule(rules)?.message;
}

/** As {@link contradictionIn}, with the rule at fault (a form shows the message beside it). */
export function contradictingRule(
  rules: PolicyRules,
): { readonly rule: keyof PolicyRules; readonly message: string } | undefined {
  for (const [key, value] of Object.entries(rules)) {
    if (typeof value === 'number' && (!Number.isInteger(value) || value < 0)) {
      return { rule: key as keyof PolicyRules, message: `${key} must be a whole number, 0 or more` };
    }
  }
  if (rules.minLength < 1) return { rule: 'minLength', message: 'the minimum length must be at least 1' };
  if (rules.maxLength > POLICY_LIMITS.length)
    return { rule: 'maxLength', message: `the maximum length must be at most ${POLICY_LIMITS.length}` };
  if (rules.minLength > rules.maxLength) {
    return {
      rule: 'minLength',
      message: `the minimum length (${rules.minLength}) is above the maximum length (${rules.maxLength})`,
    };
  }
  const c = requiredCounts(rules);
  const required = c.upper + c.lower + c.digits + c.specials;
  if (required > rules.maxLength) {
    return {
      rule: 'maxLength',
      message: `the required upper-case, lower-case, numeral and special characters (${required}) exceed the maximum length (${rules.maxLength})`,
    };
  }
  if (rules.startWithLetter && c.digits + c.specials >= rules.maxLength) {
    return {
      rule: 'startWithLetter',
      message: 'a password that must start with a letter has no room for one within the maximum length',
    };
  }
  const sequences =
    rules.checkKeyboardSequence ||
    rules.checkAlphabetSequence ||
    rules.checkNumericSequence ||
    rules.checkConsecutiveSequence;
  if (sequences && (rules.sequenceLength < 3 || rules.sequenceLength > 10)) {
    return { rule: 'sequenceLength', message: 'the sequence length must be from 3 to 10' };
  }
  if (rules.reuseLast > 100 || rules.similarityLast > 100) {
    return {
      rule: rules.reuseLast > 100 ? 'reuseLast' : 'similarityLast',
      message: 'at most the last 100 passwords can be checked for reuse or similarity',
    };
  }
  if (rules.validityDays > 36500)
    return { rule: 'validityDays', message: 'the validity period must be at most 36500 days' };
  return undefined;
}

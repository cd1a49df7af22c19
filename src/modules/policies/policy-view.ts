import { z } from 'zod';
import { POLICY_LIMITS, type PasswordPolicy, type PolicyRules } from './policies.types.js';

/**
 * A password policy as the console answers it, shared by the policies' routes and by other
 * modules' routes that show an account's policy (the vault's): it lives here, in the module's
 * public surface, so route files never import one another.
 */

/** A whole number from `min` to `max`, with the words the form shows beside the field. */
const count = (min: number, max: number) =>
  z
    .number({ error: 'Enter a whole number' })
    .int('Enter a whole number')
    .min(min, `At least ${min}`)
    .max(max, `At most ${max}`);

/**
 * Every rule the service stores (policies.types.ts), each optional: a create starts from the most
 * lenient value of the rules left out, an edit keeps them as they are. The bounds are those the
 * service's contradiction check enforces, so most mistakes are answered here beside the field.
 */
export const rulesShape = {
  minLength: count(1, POLICY_LIMITS.length),
  maxLength: count(1, POLICY_LIMITS.length),
  mixedCase: z.boolean(),
  minUppercase: count(0, POLICY_LIMITS.count),
  minLowercase: count(0, POLICY_LIMITS.count),
  enforceNumerals: z.boolean(),
  minNumerals: count(0, POLICY_LIMITS.count),
  enforceSpecials: z.boolean(),
  minSpecials: count(0, POLICY_LIMITS.count),
  startWithLetter: z.boolean(),
  checkDictionary: z.boolean(),
  checkKeyboardSequence: z.boolean(),
  checkAlphabetSequence: z.boolean(),
  checkNumericSequence: z.boolean(),
  checkConsecutiveSequence: z.boolean(),
  sequenceLength: count(3, 10),
  checkRepeatedSubstring: z.boolean(),
  allowLoginName: z.boolean(),
  checkLoginNameAnagram: z.boolean(),
  checkObviousSubstitution: z.boolean(),
  reuseLast: count(0, 100),
  checkSimilarity: z.boolean(),
  similarityLast: count(0, 100),
  validityDays: count(0, 36500),
} satisfies Record<keyof PolicyRules, z.ZodType>;

const fullRules = z.object(rulesShape);

export const policyView = z.object({
  id: z.number(),
  name: z.string(),
  description: z.string(),
  builtIn: z.boolean(),
  isDefault: z.boolean(),
  rules: fullRules,
});

export const viewOfPolicy = (p: PasswordPolicy) => ({
  id: p.id,
  name: p.name,
  description: p.description,
  builtIn: p.builtIn,
  isDefault: p.isDefault,
  rules: p.rules,
});

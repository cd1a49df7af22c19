import type { FieldReader } from '../../http/field-reader.js';
import { InvalidInputError } from '../../platform/errors.js';
import { requiredCounts, type PasswordPolicy, type PolicyRules } from './policies.types.js';

/**
 * The wire names of policy attributes, as endpoint 77 shows them. Creating and editing accept
 * the same names, so what a client lists it can send back.
 */
const BOOLEAN_ATTRIBUTES: readonly (readonly [string, keyof PolicyRules])[] = [
  ['ENFORCE MIXED CASE', 'mixedCase'],
  ['ENFORCE NUMERALS', 'enforceNumerals'],
  ['ENFORCE SPL CHARS', 'enforceSpecials'],
  ['ENFORCE STARTING WITH AN ALPHABET', 'startWithLetter'],
  ['CHECK DICTIONARY WORD', 'checkDictionary'],
  ['CHECK KEYBOARD SEQUENCE', 'checkKeyboardSequence'],
  ['CHECK ALPHABET SEQUENCE', 'checkAlphabetSequence'],
  ['CHECK NUMERIC SEQUENCE', 'checkNumericSequence'],
  ['CHECK CONSECUTIVE SEQUENCE', 'checkConsecutiveSequence'],
  ['CHECK REPEATED SUBSTRING', 'checkRepeatedSubstring'],
  ['PASSWORD CAN CONTAIN LOGINNAME', 'allowLoginName'],
  ['CHECK ANAGRAM OF LOGINNAME', 'checkLoginNameAnagram'],
  ['CHECK OBVIOUS SUBSTITUTION', 'checkObviousSubstitution'],
  ['CHECK SIMILARITY OF PASSWORDS', 'checkSimilarity'],
];

const NUMBER_ATTRIBUTES: readonly (readonly [string, keyof PolicyRules])[] = [
  ['PASSWORD MIN LENGTH', 'minLength'],
  ['PASSWORD MAX LENGTH', 'maxLength'],
  ['NUMBER OF UPPERCASE CHARACTERS REQUIRED', 'minUppercase'],
  ['NUMBER OF LOWERCASE CHARACTERS REQUIRED', 'minLowercase'],
  ['NUMBER OF NUMERALS', 'minNumerals'],
  ['NO OF SPL CHARS REQUIRED', 'minSpecials'],
  ['SEQUENCE LENGTH', 'sequenceLength'],
  ['NUMBER OF PASSWORDS TO CHECK FOR SIMILARITY', 'similarityLast'],
  ['PASSWORD VALIDITY PERIOD', 'validityDays'],
];

const REUSE = 'REUSE OF OLD PASSWORDS';

/** Every rule attribute a create or edit request may carry, by its wire name. */
export const RULE_ATTRIBUTE_NAMES: readonly string[] = [
  ...BOOLEAN_ATTRIBUTES.map(([name]) => name),
  ...NUMBER_ATTRIBUTES.map(([name]) => name),
  REUSE,
];

/** A whole number 0 or more; "-1", "2.5" and "ten" are refused naming the attribute. */
function wholeNumber(details: FieldReader, field: string): number | undefined {
  const text = details.string(field, { maxLength: 40 });
  if (text === undefined || text === '') return undefined;
  if (!/^\d{1,6}$/.test(text))
    throw new InvalidInputError(`${field} must be a whole number, 0 or more; got "${text.slice(0, 40)}"`);
  return Number(text);
}

/** The rule attributes present in a create or edit request (absent ones are left as they are). */
export function readRuleAttributes(details: FieldReader): Partial<PolicyRules> {
  const rules: Record<string, number | boolean> = {};
  for (const [field, key] of BOOLEAN_ATTRIBUTES) {
    const value = details.boolean(field);
    if (value !== undefined) rules[key] = value;
  }
  for (const [field, key] of NUMBER_ATTRIBUTES) {
    const value = wholeNumber(details, field);
    if (value !== undefined) rules[key] = value;
  }
  // "Don't allow last 10 passwords" as listed, or a bare number.
  const reuse = details.string(REUSE, { maxLength: 100 });
  if (reuse !== undefined && reuse !== '') {
    const match = /^(?:don'?t allow last\s+)?(\d{1,6})(?:\s+passwords?)?$/i.exec(reuse);
    if (!match) throw new InvalidInputError(`${REUSE} must be a number or "Don't allow last N passwords"`);
    rules.reuseLast = Number(match[1]);
  }
  return rules;
}

/** A policy as endpoint 77 lists it: every attribute, values as strings. */
export function policyAttributes(policy: PasswordPolicy): Record<string, string> {
  const r = policy.rules;
  const counts = requiredCounts(r);
  const out: Record<string, string> = {
    POLICYID: String(policy.id),
    POLICYNAME: policy.name,
    DESCRIPTION: policy.description || 'N/A',
    DEFAULTPOLICY: String(policy.isDefault),
  };
  for (const [field, key] of BOOLEAN_ATTRIBUTES) out[field] = String(r[key]);
  for (const [field, key] of NUMBER_ATTRIBUTES) out[field] = String(r[key]);
  // Shown as the effective counts: mixed case implies at least one of each.
  out['NUMBER OF UPPERCASE CHARACTERS REQUIRED'] = String(counts.upper);
  out['NUMBER OF LOWERCASE CHARACTERS REQUIRED'] = String(counts.lower);
  out['NUMBER OF NUMERALS'] = String(counts.digits);
  out['NO OF SPL CHARS REQUIRED'] = String(counts.specials);
  out['CHECK SEQUENCE'] = String(
    r.checkKeyboardSequence ||
      r.checkAlphabetSequence ||
      r.checkNumericSequence ||
      r.checkConsecutiveSequence,
  );
  out['KEYBOARD LAYOUT'] = 'QWERTY';
  out['DICTIONARY NAME'] = 'Common Words';
  out[REUSE] = `Don't allow last ${r.reuseLast} passwords`;
  return out;
}

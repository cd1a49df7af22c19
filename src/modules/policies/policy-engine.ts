import { randomInt } from 'node:crypto';
import { COMMON_WORDS } from './dictionary.js';
import { requiredCounts, type PolicyRules } from './policies.types.js';

/**
 * The password policy engine: pure functions, no I/O. {@link policyViolation} says which rule a
 * candidate breaks; {@link generatePassword} draws random passwords until one passes it, so a
 * generated password satisfies the policy by construction of the check, not by hope.
 * Messages name the rule, never the password.
 */

export interface CheckContext {
  /** The account's or user's login name, for the login-name and anagram rules. */
  readonly loginName?: string | undefined;
  /** The current password and earlier ones, newest first, for reuse and similarity. */
  readonly previous?: readonly string[] | undefined;
}

const WHOLE_WORDS = new Set(COMMON_WORDS);
// Entries of 5+ letters are refused anywhere inside a password; shorter ones only as the whole.
const EMBEDDED_WORDS = COMMON_WORDS.filter((w) => w.length >= 5);

const KEYBOARD_ROWS = ['`1234567890-=', 'qwertyuiop[]\\', "asdfghjkl;'", 'zxcvbnm,./'];
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
const NUMERALS = '0123456789';

/** The usual look-alikes; each maps to the letter it stands for (a Map: looked up by caller text). */
const SUBSTITUTIONS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    '@': 'a',
    '4': 'a',
    '8': 'b',
    '(': 'c',
    '3': 'e',
    '6': 'g',
    '9': 'g',
    '1': 'i',
    '!': 'i',
    '|': 'l',
    '0': 'o',
    $: 's',
    '5': 's',
    '7': 't',
    '+': 't',
    '2': 'z',
  }),
);

const chars = (text: string) => [...text];
const isUpper = (c: string) => /\p{Lu}/u.test(c);
const isLower = (c: string) => /\p{Ll}/u.test(c);
const isLetter = (c: string) => /\p{L}/u.test(c);
const isDigit = (c: string) => /\p{Nd}/u.test(c);
const isSpecial = (c: string) => !isLetter(c) && !isDigit(c);

function desubstitute(text: string): string {
  return chars(text)
    .map((c) => SUBSTITUTIONS.get(c) ?? c)
    .join('');
}

function dictionaryHit(lower: string): boolean {
  if (WHOLE_WORDS.has(lower)) return true;
  return EMBEDDED_WORDS.some((w) => lower.includes(w));
}

/** A run of `n` characters that are consecutive in `sequence`, forwards or backwards. */
function hasRunFrom(lower: string, sequence: string, n: number): boolean {
  const reversed = [...sequence].reverse().join('');
  const text = chars(lower);
  for (let i = 0; i + n <= text.length; i++) {
    const window = text.slice(i, i + n).join('');
    if (sequence.includes(window) || reversed.includes(window)) return true;
  }
  return false;
}

function sortedLetters(text: string): string {
  return chars(text).sort().join('');
}

function containsAnagram(lower: string, login: string): boolean {
  const text = chars(lower);
  const size = chars(login).length;
  const target = sortedLetters(login);
  for (let i = 0; i + size <= text.length; i++) {
    if (sortedLetters(text.slice(i, i + size).join('')) === target) return true;
  }
  return false;
}

const similarityKey = (text: string) => text.toLowerCase().replace(/\p{Nd}/gu, '');

/** The first rule `password` breaks, as a sentence for a Failed message; undefined when it complies. */
export function policyViolation(
  rules: PolicyRules,
  password: string,
  context: CheckContext = {},
): string | undefined {
  const text = chars(password);
  const length = text.length;
  if (length < rules.minLength) return `Password must be at least ${rules.minLength} characters long`;
  if (length > rules.maxLength) return `Password must be at most ${rules.maxLength} characters long`;
  const counts = requiredCounts(rules);
  const count = (test: (c: string) => boolean) => text.filter(test).length;
  if (count(isUpper) < counts.upper) {
    return `Password must contain at least ${counts.upper} upper-case letter${counts.upper > 1 ? 's' : ''}`;
  }
  if (count(isLower) < counts.lower) {
    return `Password must contain at least ${counts.lower} lower-case letter${counts.lower > 1 ? 's' : ''}`;
  }
  if (count(isDigit) < counts.digits) {
    return `Password must contain at least ${counts.digits} numeral${counts.digits > 1 ? 's' : ''}`;
  }
  if (count(isSpecial) < counts.specials) {
    return `Password must contain at least ${counts.specials} special character${counts.specials > 1 ? 's' : ''}`;
  }
  if (rules.startWithLetter && !(length > 0 && isLetter(text[0]!)))
    return 'Password must start with a letter';

  const lower = password.toLowerCase();
  if (rules.checkDictionary && dictionaryHit(lower))
    return 'Password must not be or contain a common dictionary word';
  const n = rules.sequenceLength;
  if (rules.checkKeyboardSequence && KEYBOARD_ROWS.some((row) => hasRunFrom(lower, row, n))) {
    return `Password must not contain a keyboard sequence of ${n} or more characters`;
  }
  if (rules.checkAlphabetSequence && hasRunFrom(lower, ALPHABET, n)) {
    return `Password must not contain an alphabet sequence of ${n} or more letters`;
  }
  if (rules.checkNumericSequence && hasRunFrom(lower, NUMERALS, n)) {
    return `Password must not contain a numeric sequence of ${n} or more digits`;
  }
  if (rules.checkConsecutiveSequence && new RegExp(`(.)\\1{${n - 1}}`, 'u').test(lower)) {
    return `Password must not repeat one character ${n} or more times in a row`;
  }
  if (rules.checkRepeatedSubstring && /(.{3,})\1/u.test(lower)) {
    return 'Password must not contain a repeated substring';
  }

  const login = context.loginName?.trim().toLowerCase() ?? '';
  const checkLogin = login.length >= 3;
  if (checkLogin && !rules.allowLoginName && lower.includes(login)) {
    return 'Password must not contain the login name';
  }
  if (checkLogin && rules.checkLoginNameAnagram && containsAnagram(lower, login)) {
    return 'Password must not contain the login name or an anagram of it';
  }
  if (rules.checkObviousSubstitution) {
    const plain = desubstitute(lower);
    if (plain !== lower) {
      if (rules.checkDictionary && dictionaryHit(plain)) {
        return 'Password must not be a dictionary word with obvious substitutions';
      }
      if (checkLogin && !rules.allowLoginName && plain.includes(login)) {
        return 'Password must not be the login name with obvious substitutions';
      }
    }
  }

  const previous = context.previous ?? [];
  if (rules.reuseLast > 0 && previous.slice(0, rules.reuseLast).includes(password)) {
    return `Password must not be one of the last ${rules.reuseLast} passwords`;
  }
  if (rules.checkSimilarity && rules.similarityLast > 0) {
    const key = similarityKey(password);
    if (previous.slice(0, rules.similarityLast).some((p) => similarityKey(p) === key)) {
      return `Password must not be similar to the last ${rules.similarityLast} password${rules.similarityLast > 1 ? 's' : ''}`;
    }
  }
  return undefined;
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
// No quotes, backslash or space: generated passwords are pasted into shells and config files.
const SPECIALS = '!#$%&()*+,-./:;<=>?@[]^_{}~';
/** Length of a generated password when the policy allows it (the original's are shorter). */
const PREFERRED_LENGTH = 16;
const MAX_ATTEMPTS = 10_000;

const pick = (alphabet: string) => alphabet[randomInt(alphabet.length)]!;

function candidate(rules: PolicyRules): string {
  const counts = requiredCounts(rules);
  const required = counts.upper + counts.lower + counts.digits + counts.specials;
  const length = Math.min(rules.maxLength, Math.max(rules.minLength, PREFERRED_LENGTH, required));
  const out: string[] = [];
  for (let i = 0; i < counts.upper; i++) out.push(pick(UPPER));
  for (let i = 0; i < counts.lower; i++) out.push(pick(LOWER));
  for (let i = 0; i < counts.digits; i++) out.push(pick(DIGITS));
  for (let i = 0; i < counts.specials; i++) out.push(pick(SPECIALS));
  const pool = UPPER + LOWER + DIGITS + (counts.specials > 0 ? SPECIALS : '');
  while (out.length < length) out.push(pick(pool));
  // Fisher–Yates with a cryptographic source, so required characters land anywhere.
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  if (rules.startWithLetter && !isLetter(out[0]!)) {
    const letterAt = out.findIndex(isLetter);
    if (letterAt > 0) [out[0], out[letterAt]] = [out[letterAt]!, out[0]!];
    else out[0] = pick(LOWER + UPPER);
  }
  return out.join('');
}

/**
 * A cryptographically random password that satisfies `rules` (and the context: not the login
 * name, not a previous password). Throws only if the rules cannot be met, which
 * contradictionIn rejects before a policy is stored.
 */
export function generatePassword(rules: PolicyRules, context: CheckContext = {}): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const password = candidate(rules);
    if (policyViolation(rules, password, context) === undefined) return password;
  }
  throw new Error('no password satisfying the policy could be generated');
}

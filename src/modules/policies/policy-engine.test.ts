import { describe, expect, it } from 'vitest';
import { generatePassword, policyViolation } from './policy-engine.js';
import { contradictionIn, LENIENT_RULES, normaliseRules, type PolicyRules } from './policies.types.js';
import { passwordPolicies } from '../../platform/db/migrations/2026-11-23-0004-password-policies.js';

/** The built-in rules exactly as the migration seeds them (captured from its inserts). */
async function builtIns(): Promise<Record<string, PolicyRules>> {
  const seeded: Record<string, PolicyRules> = {};
  const fake: Record<string, unknown> = {
    schema: {
      createTable: () => {
        const builder = { addColumn: () => builder, execute: async () => undefined };
        return builder;
      },
    },
    insertInto: () => ({
      values: (row: { name: string; rules: string }) => ({
        execute: async () => {
          seeded[row.name] = normaliseRules(JSON.parse(row.rules));
        },
      }),
    }),
  };
  await passwordPolicies('sqlite').up(fake as never);
  return seeded;
}

const rules = (overrides: Partial<PolicyRules>): PolicyRules => ({ ...LENIENT_RULES, ...overrides });

describe('policy engine: the built-in policies', async () => {
  const builtIn = await builtIns();

  it('seeds the four built-ins, each without contradictions', () => {
    expect(Object.keys(builtIn)).toEqual(['Low', 'Medium', 'Strong', 'Offline Password File']);
    for (const r of Object.values(builtIn)) expect(contradictionIn(r)).toBeUndefined();
  });

  it("accepts the document's sample login password under Strong", () => {
    expect(policyViolation(builtIn.Strong!, 'Test@123')).toBeUndefined();
    expect(policyViolation(builtIn.Strong!, 'pw-12-345-Xy9!')).toBeUndefined();
  });

  it.each([
    ['Sh0rt!', 'at least 8 characters'],
    ['alllower1!', 'upper-case'],
    ['ALLUPPER1!', 'lower-case'],
    ['NoDigits!!', 'numeral'],
    ['NoSpecial12', 'special'],
    ['1Starts!Digit', 'start with a letter'],
    ['Password#7', 'dictionary'],
    ['Xq#9Summer', 'dictionary'],
    ['Aq#9sdfghj', 'keyboard sequence'],
    ['Xa#9abcde', 'alphabet sequence'],
    ['Xa#56789', 'sequence'],
    ['Xa#9zzzzz', 'repeat one character'],
    ['Xa#9Q!Q!Q!Q!Q', 'repeated substring'],
    ['Xy#9Ab1Xy#9Ab1', 'repeated substring'],
  ])('Strong refuses %s (%s)', (password, rule) => {
    expect(policyViolation(builtIn.Strong!, password)).toContain(rule);
  });

  it.each(Object.keys({ Low: 1, Medium: 1, Strong: 1, 'Offline Password File': 1 }))(
    'generates 3000 passwords that all satisfy %s',
    (name) => {
      const r = builtIn[name]!;
      const seen = new Set<string>();
      for (let i = 0; i < 3000; i++) {
        const password = generatePassword(r);
        expect(policyViolation(r, password)).toBeUndefined();
        seen.add(password);
      }
      // Random, not a fixed pattern.
      expect(seen.size).toBe(3000);
    },
  );
});

describe('policy engine: rules one by one', () => {
  it('counts characters, not UTF-16 units', () => {
    expect(policyViolation(rules({ minLength: 3, maxLength: 3 }), '日本😀')).toBeUndefined();
  });

  it('requires the configured numbers of each class', () => {
    const r = rules({ minUppercase: 2, minNumerals: 3, minSpecials: 2 });
    expect(policyViolation(r, 'Ab1!')).toContain('2 upper-case');
    expect(policyViolation(r, 'ABc1!')).toContain('3 numerals');
    expect(policyViolation(r, 'ABc123!')).toContain('2 special');
    expect(policyViolation(r, 'ABc123!?')).toBeUndefined();
  });

  it('refuses the login name, its anagram and obvious substitutions when asked', () => {
    const noLogin = rules({ allowLoginName: false });
    expect(policyViolation(noLogin, 'xxOracle9', { loginName: 'oracle' })).toContain('login name');
    expect(policyViolation(noLogin, 'xxOracle9', { loginName: 'db' })).toBeUndefined();
    const anagram = rules({ checkLoginNameAnagram: true });
    expect(policyViolation(anagram, 'x-elcaro-1', { loginName: 'oracle' })).toContain('anagram');
    const subst = rules({ checkDictionary: true, checkObviousSubstitution: true });
    expect(policyViolation(subst, 'p@ssw0rd')).toContain('obvious substitutions');
    expect(policyViolation(rules({ checkDictionary: true }), 'p@ssw0rd')).toBeUndefined();
    const loginSubst = rules({ allowLoginName: false, checkObviousSubstitution: true });
    expect(policyViolation(loginSubst, '0r@cle', { loginName: 'oracle' })).toContain('login name');
  });

  it('refuses the last N passwords, and similar ones when asked', () => {
    const r = rules({ reuseLast: 2, checkSimilarity: true, similarityLast: 1 });
    const previous = ['Current-1', 'Older-2', 'Oldest-3'];
    expect(policyViolation(r, 'Older-2', { previous })).toContain('last 2 passwords');
    expect(policyViolation(r, 'Oldest-3', { previous })).toBeUndefined();
    expect(policyViolation(r, 'CURRENT-7', { previous })).toContain('similar');
  });

  it('sequences are checked forwards and backwards at the configured length', () => {
    const r = rules({ checkNumericSequence: true, checkAlphabetSequence: true, sequenceLength: 3 });
    expect(policyViolation(r, 'x321y')).toContain('numeric');
    expect(policyViolation(r, 'zyx1')).toContain('alphabet');
    expect(policyViolation(r, 'x13y')).toBeUndefined();
  });

  it('generates for demanding custom rules, respecting the login name and history', () => {
    const r = rules({
      minLength: 20,
      maxLength: 24,
      minUppercase: 4,
      minLowercase: 4,
      minNumerals: 4,
      minSpecials: 4,
      startWithLetter: true,
      checkDictionary: true,
      checkKeyboardSequence: true,
      checkAlphabetSequence: true,
      checkNumericSequence: true,
      checkConsecutiveSequence: true,
      sequenceLength: 3,
      checkRepeatedSubstring: true,
    });
    for (let i = 0; i < 500; i++) {
      const password = generatePassword(r, { loginName: 'admin' });
      expect(policyViolation(r, password)).toBeUndefined();
    }
    const tiny = rules({
      minLength: 4,
      maxLength: 4,
      minUppercase: 1,
      minNumerals: 1,
      minSpecials: 1,
      minLowercase: 1,
    });
    expect(policyViolation(tiny, generatePassword(tiny))).toBeUndefined();
  });
});

describe('contradictory settings', () => {
  it.each([
    [{ minLength: 12, maxLength: 8 }, 'minimum length (12) is above the maximum length (8)'],
    [{ maxLength: 4, minSpecials: 5 }, 'exceed the maximum length'],
    [{ minLength: -1 }, 'whole number'],
    [{ minLength: 0 }, 'at least 1'],
    [{ checkNumericSequence: true, sequenceLength: 2 }, 'sequence length'],
    [{ maxLength: 1000 }, 'at most 256'],
    [{ startWithLetter: true, maxLength: 2, minNumerals: 1, minSpecials: 1 }, 'start with a letter'],
  ])('%o is refused', (overrides, message) => {
    expect(contradictionIn(rules(overrides as Partial<PolicyRules>))).toContain(message);
  });
});

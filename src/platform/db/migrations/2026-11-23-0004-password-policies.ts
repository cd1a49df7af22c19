import type { Kysely, Migration } from 'kysely';
import type { DialectName } from '../database.js';
import { columnTypes } from './column-types.js';

/**
 * Frozen: never edit a migration that has shipped; add a new dated one instead.
 * Password policies with their rules (JSON, see modules/policies/policies.types.ts), seeded with
 * the original's four built-in policies. Values follow the original's endpoint 77 sample except
 * the maximum lengths, raised so long passphrases are accepted (ADR 009). Strong is the default.
 * Accounts, resources and users keep referring to a policy by its name, as before.
 */
export function passwordPolicies(dialect: DialectName): Migration {
  const t = columnTypes(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await t
        .id(db.schema.createTable('password_policies'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('name_key', 'text', (c) => c.notNull().unique())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('rules', 'text', (c) => c.notNull())
        .addColumn('built_in', 'integer', (c) => c.notNull())
        .addColumn('is_default', 'integer', (c) => c.notNull())
        .execute();
      const none = {
        minUppercase: 0,
        minLowercase: 0,
        minNumerals: 0,
        minSpecials: 0,
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
        checkSimilarity: false,
        similarityLast: 0,
      };
      const seeds = [
        {
          name: 'Low',
          description: 'Password with less strict constraints',
          rules: {
            ...none,
            minLength: 4,
            maxLength: 32,
            mixedCase: false,
            enforceNumerals: false,
            enforceSpecials: false,
            startWithLetter: false,
            reuseLast: 1,
            validityDays: 0,
          },
        },
        {
          name: 'Medium',
          description: 'Password with few strict constraints',
          rules: {
            ...none,
            minLength: 6,
            maxLength: 32,
            mixedCase: true,
            minUppercase: 1,
            minLowercase: 1,
            enforceNumerals: true,
            minNumerals: 1,
            enforceSpecials: false,
            startWithLetter: true,
            reuseLast: 5,
            checkSimilarity: true,
            similarityLast: 1,
            validityDays: 180,
          },
        },
        {
          name: 'Strong',
          description: 'Password with strict constraints',
          isDefault: true,
          rules: {
            ...none,
            minLength: 8,
            maxLength: 64,
            mixedCase: true,
            minUppercase: 1,
            minLowercase: 1,
            enforceNumerals: true,
            minNumerals: 1,
            enforceSpecials: true,
            minSpecials: 1,
            startWithLetter: true,
            checkDictionary: true,
            checkKeyboardSequence: true,
            checkAlphabetSequence: true,
            checkNumericSequence: true,
            checkConsecutiveSequence: true,
            sequenceLength: 5,
            checkRepeatedSubstring: true,
            reuseLast: 10,
            checkSimilarity: true,
            similarityLast: 1,
            validityDays: 30,
          },
        },
        {
          name: 'Offline Password File',
          description: 'Policy for offline password access',
          rules: {
            ...none,
            minLength: 16,
            maxLength: 64,
            mixedCase: true,
            minUppercase: 1,
            minLowercase: 1,
            enforceNumerals: true,
            minNumerals: 1,
            enforceSpecials: true,
            minSpecials: 1,
            startWithLetter: false,
            reuseLast: 10,
            validityDays: 30,
          },
        },
      ];
      // One at a time, in order: the built-ins get ids 1 to 4 on both dialects.
      for (const seed of seeds) {
        await (db as Kysely<Record<string, Record<string, unknown>>>)
          .insertInto('password_policies')
          .values({
            name: seed.name,
            name_key: seed.name.toLowerCase(),
            description: seed.description,
            rules: JSON.stringify(seed.rules),
            built_in: 1,
            is_default: seed.isDefault ? 1 : 0,
          })
          .execute();
      }
    },
  };
}

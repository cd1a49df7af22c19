import { z } from 'zod';
import { DomainError, FieldInputError, UnknownReferenceError } from '../platform/errors.js';
import { RESULT_CODES } from '../platform/result-codes.js';

/**
 * The field types the console's routes share (ADR 042): one definition each, so a name is
 * refused for the same reasons and with the same words on every form.
 */

const CONTROL_CHARACTERS = /^[^\x00-\x1f\x7f]*$/;

/** A name as the user typed it: trimmed, not empty, at most `max`, no control characters. */
export function nameField(max: number, empty = 'Enter a name') {
  return z
    .string()
    .trim()
    .min(1, empty)
    .max(max, `At most ${max} characters`)
    .regex(CONTROL_CHARACTERS, 'Control characters are not allowed');
}

/** `offset` and `limit` of a paged list, read from the query string. */
export const pageFields = {
  offset: z.coerce.number().int('A whole number').min(0).max(Number.MAX_SAFE_INTEGER).default(0),
  limit: z.coerce.number().int('A whole number').min(1).max(500).default(100),
};

/**
 * The service refusals that belong to one field of a form: a name taken (conflict, 40900) or a
 * password its policy refuses (40020), answered as that field's error so the console shows
 * them beside it. Everything else passes through as it was thrown.
 */
export async function withFieldErrors<T>(
  fields: {
    readonly conflict?: string;
    readonly passwordPolicy?: string;
    /** The field that named a password policy that does not exist. */
    readonly unknownPolicy?: string;
  },
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof UnknownReferenceError && err.reference === 'passwordPolicy' && fields.unknownPolicy) {
      throw new FieldInputError(fields.unknownPolicy, err.message, err.code);
    }
    if (err instanceof DomainError) {
      const field =
        err.code === RESULT_CODES.conflict.code
          ? fields.conflict
          : err.code === RESULT_CODES.policyRefused.code
            ? fields.passwordPolicy
            : undefined;
      if (field !== undefined) throw new FieldInputError(field, err.message, err.code);
    }
    throw err;
  }
}

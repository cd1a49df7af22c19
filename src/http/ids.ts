import { InvalidInputError } from '../platform/errors.js';
import { RESULT_CODES } from '../platform/result-codes.js';

/** A numeric object ID from a path or INPUT_DATA. Junk is refused before any lookup. */
export function parseId(value: unknown, what: string): number {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (/^\d{1,15}$/.test(text)) {
    const id = Number(text);
    if (id > 0) return id;
  }
  if (value !== null && typeof value === 'object') {
    throw new InvalidInputError(
      `a ${what} ID must be a number or text, not ${Array.isArray(value) ? 'a list' : 'an object'}`,
      RESULT_CODES.invalidId.code,
    );
  }
  const shown = typeof value === 'string' ? value.slice(0, 40) : String(value);
  throw new InvalidInputError(`"${shown}" is not a valid ${what} ID`, RESULT_CODES.invalidId.code);
}

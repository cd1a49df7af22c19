import { FieldTooLongError, InvalidInputError, MissingFieldError } from '../platform/errors.js';
import { RESULT_CODES } from '../platform/result-codes.js';
import { Secret } from '../platform/crypto/secret.js';
import type { JsonValue } from './lenient-json.js';
import { parseId } from './ids.js';

export interface StringOptions {
  readonly maxLength?: number;
  readonly required?: boolean;
}

/**
 * Typed, case-insensitive access to one object of INPUT_DATA. Field names are matched
 * ignoring case and surrounding spaces (`Details` / `details`, `" POLICYNAME"`), and values
 * are coerced the way clients send them: numbers as strings, strings as numbers, booleans as
 * "true"/"false". Wrong shapes raise InvalidInputError naming the field's path.
 */
export class FieldReader {
  readonly #fields: Map<string, JsonValue>;
  readonly #path: string;

  private constructor(obj: Record<string, JsonValue> | undefined, path: string) {
    this.#path = path;
    this.#fields = new Map();
    if (obj) for (const key of Object.keys(obj)) this.#fields.set(key.trim().toUpperCase(), obj[key]!);
  }

  static root(obj: Record<string, JsonValue> | undefined): FieldReader {
    return new FieldReader(obj, '');
  }

  #name(field: string): string {
    return this.#path ? `${this.#path}.${field}` : field;
  }

  has(field: string): boolean {
    return this.#fields.has(field.toUpperCase());
  }

  raw(field: string): JsonValue | undefined {
    return this.#fields.get(field.toUpperCase());
  }

  /** Text with surrounding whitespace removed. Empty text counts as absent when required. */
  string(field: string, options: StringOptions = {}): string | undefined {
    const value = this.#scalar(field);
    if (value === undefined || value === null) {
      if (options.required) throw new MissingFieldError(this.#name(field));
      return undefined;
    }
    const text = String(value).trim();
    if (options.required && text === '') throw new MissingFieldError(this.#name(field));
    if (options.maxLength !== undefined && text.length > options.maxLength) {
      throw new FieldTooLongError(this.#name(field), options.maxLength);
    }
    rejectNul(text, this.#name(field));
    return text;
  }

  requiredString(field: string, maxLength: number): string {
    return this.string(field, { required: true, maxLength })!;
  }

  /** A secret, exactly as sent: never trimmed or re-encoded. */
  secret(field: string, options: StringOptions = {}): Secret | undefined {
    const value = this.#scalar(field);
    if (value === undefined || value === null || value === '') {
      if (options.required) throw new MissingFieldError(this.#name(field));
      return undefined;
    }
    const text = String(value);
    if (options.maxLength !== undefined && text.length > options.maxLength) {
      throw new FieldTooLongError(this.#name(field), options.maxLength);
    }
    return new Secret(text);
  }

  boolean(field: string): boolean | undefined {
    const value = this.#scalar(field);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 1) return true;
    if (value === false || value === 0) return false;
    const text = String(value).trim().toLowerCase();
    if (text === 'true' || text === 'yes' || text === '1') return true;
    if (text === 'false' || text === 'no' || text === '0') return false;
    throw new InvalidInputError(`${this.#name(field)} must be "true" or "false"`);
  }

  /** One of `allowed`, matched ignoring case; returns the canonical spelling. */
  choice<T extends string>(
    field: string,
    allowed: readonly T[],
    options: { required?: boolean } = {},
  ): T | undefined {
    const text = this.string(field, { required: options.required ?? false, maxLength: 200 });
    if (text === undefined || text === '') {
      if (options.required) throw new MissingFieldError(this.#name(field));
      return undefined;
    }
    const match = allowed.find((a) => a.toLowerCase() === text.toLowerCase());
    if (match === undefined) {
      throw new InvalidInputError(
        `${this.#name(field)} must be one of ${allowed.join(', ')}; got "${text.slice(0, 60)}"`,
      );
    }
    return match;
  }

  /** An array of objects, each read by its own FieldReader. A single object counts as a list of one. */
  objectList(field: string, options: { required?: boolean; maxItems?: number } = {}): FieldReader[] {
    const value = this.raw(field);
    if (value === undefined || value === null || value === '') {
      if (options.required) throw new MissingFieldError(this.#name(field));
      return [];
    }
    const items = Array.isArray(value) ? value : [value];
    if (options.required && items.length === 0) {
      throw new InvalidInputError(
        `${this.#name(field)} is empty; give at least one entry`,
        RESULT_CODES.missingField.code,
      );
    }
    if (options.maxItems !== undefined && items.length > options.maxItems) {
      throw new InvalidInputError(
        `${this.#name(field)} holds ${items.length} entries; at most ${options.maxItems} are allowed`,
      );
    }
    return items.map((item, index) => {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new InvalidInputError(`${this.#name(field)}[${index}] must be an object`);
      }
      return new FieldReader(item, `${this.#name(field)}[${index}]`);
    });
  }

  /**
   * A list of numeric object IDs (`[1,2]`, `["1","2"]`, a single id, or `"1,2"`). Junk entries
   * are refused before any lookup.
   */
  idList(field: string, what: string, options: { required?: boolean; maxItems?: number } = {}): number[] {
    const value = this.raw(field);
    if (value === undefined || value === null || value === '') {
      if (options.required) throw new MissingFieldError(this.#name(field));
      return [];
    }
    if (typeof value === 'object' && !Array.isArray(value)) {
      throw new InvalidInputError(
        `${this.#name(field)} must be a list of ${what} IDs (such as [1,2]), not an object`,
        RESULT_CODES.invalidId.code,
      );
    }
    const items: JsonValue[] = Array.isArray(value)
      ? value
      : typeof value === 'string'
        ? value.split(',')
        : [value];
    if (options.required && items.length === 0) {
      throw new InvalidInputError(
        `${this.#name(field)} is empty; give at least one ${what} ID`,
        RESULT_CODES.missingField.code,
      );
    }
    if (options.maxItems !== undefined && items.length > options.maxItems) {
      throw new InvalidInputError(
        `${this.#name(field)} holds ${items.length} entries; at most ${options.maxItems} are allowed`,
      );
    }
    return [...new Set(items.map((item) => parseId(item, what)))];
  }

  #scalar(field: string): string | number | boolean | null | undefined {
    const value = this.raw(field);
    if (value !== null && typeof value === 'object') {
      throw new InvalidInputError(
        `${this.#name(field)} must be a single value, not ${Array.isArray(value) ? 'a list' : 'an object'}`,
      );
    }
    return value;
  }
}

/**
 * NUL is never meaningful in text and PostgreSQL cannot store it; it is refused everywhere
 * (secrets, which are sealed as bytes, excepted).
 */
export function rejectNul(text: string, name: string): void {
  if (text.includes('\u0000')) throw new InvalidInputError(`${name} contains a NUL character`);
}

import type { Secret } from '../platform/crypto/secret.js';
import { MissingFieldError } from '../platform/errors.js';
import type { FieldReader, StringOptions } from './field-reader.js';
import type { PmpInput } from './input.js';

/**
 * The declared input of one endpoint (ADR 023): each field of INPUT_DATA (or of the query) it
 * reads, by name and type. The router validates the whole input against the route's schema
 * after authentication and before the handler, and hands the handler the typed, frozen result
 * as `fields`. Fields are read in declaration order, so the first bad field named is the one a
 * client has always been told about. Reading goes through {@link FieldReader} and
 * {@link PmpInput.value}: names ignore case, values are coerced as PMP clients send them, and
 * the messages and result codes are those of bad-input.test.ts. Fields the schema does not
 * declare are ignored, as PMP clients send extra ones (compat.md).
 */
export interface FieldSpec<T> {
  /** The client-facing names this field reads (for the route table and tests). */
  readonly names: readonly string[];
  read(input: PmpInput): T;
}

export type FieldsOf<S> = { readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never };

export interface InputSchema<T> {
  /** Every client-facing name the schema reads, in order. */
  readonly names: readonly string[];
  parse(input: PmpInput): T;
}

export function inputSchema<S extends Readonly<Record<string, FieldSpec<unknown>>>>(
  shape: S,
): InputSchema<FieldsOf<S>> {
  const entries = Object.entries(shape);
  return {
    names: entries.flatMap(([, spec]) => spec.names),
    parse(input) {
      const out: Record<string, unknown> = {};
      for (const [key, spec] of entries) out[key] = spec.read(input);
      return Object.freeze(out) as FieldsOf<S>;
    },
  };
}

/** An endpoint that reads no field (the INPUT_DATA shape is still checked by the router). */
export const NO_INPUT: InputSchema<Readonly<Record<string, never>>> = inputSchema({});

function spec<T>(names: readonly string[], read: (input: PmpInput) => T): FieldSpec<T> {
  return { names, read };
}

const details = (input: PmpInput): FieldReader => input.details();

/**
 * A query or form parameter, else the Details field ({@link PmpInput.value}), trimmed; with
 * `required`, absent or empty text is refused as missing. Empty text otherwise reads as undefined.
 */
function valueField(name: string, maxLength: number, options: { required: true }): FieldSpec<string>;
function valueField(
  name: string,
  maxLength: number,
  options?: { required?: false },
): FieldSpec<string | undefined>;
function valueField(name: string, maxLength: number, options: { required?: boolean } = {}) {
  return spec([name], (input) => {
    const text = input.value(name, maxLength);
    if (text === undefined || text === '') {
      if (options.required) throw new MissingFieldError(name);
      return undefined;
    }
    return text;
  });
}

/** A Details field as text ({@link FieldReader.string}); empty text is kept as ''. */
function stringField(name: string, options: StringOptions & { required: true }): FieldSpec<string>;
function stringField(name: string, options?: StringOptions): FieldSpec<string | undefined>;
function stringField(name: string, options: StringOptions = {}) {
  return spec([name], (input) => details(input).string(name, options));
}

/** A Details field kept exactly as sent, sealed in a {@link Secret}. */
function secretField(name: string, options: StringOptions & { required: true }): FieldSpec<Secret>;
function secretField(name: string, options?: StringOptions): FieldSpec<Secret | undefined>;
function secretField(name: string, options: StringOptions = {}) {
  return spec([name], (input) => details(input).secret(name, options));
}

/** The field builders. Method names match the reads the fuzz test collects field names from. */
export const f = {
  value: valueField,
  string: stringField,
  secret: secretField,

  /** A Details field as true/false ({@link FieldReader.boolean}). */
  boolean(name: string): FieldSpec<boolean | undefined> {
    return spec([name], (input) => details(input).boolean(name));
  },

  /** A Details field listing numeric IDs ({@link FieldReader.idList}). */
  idList(
    name: string,
    what: string,
    options: { required?: boolean; maxItems?: number } = {},
  ): FieldSpec<number[]> {
    return spec([name], (input) => details(input).idList(name, what, options));
  },

  /** A Details field that is one of `allowed` ({@link FieldReader.choice}). */
  choice<T extends string>(
    name: string,
    allowed: readonly T[],
    options: { required?: boolean } = {},
  ): FieldSpec<T | undefined> {
    return spec([name], (input) => details(input).choice(name, allowed, options));
  },

  /**
   * Several fields read together by a module's own reader, for shapes that are checked across
   * fields (either USERID or USERGROUPID) or shared by several endpoints. `names` lists them.
   */
  group<T>(names: readonly string[], read: (input: PmpInput) => T): FieldSpec<T> {
    return spec(names, read);
  },
};

import { httpStatusOf, RESULT_CODES, type ResultCode } from './result-codes.js';

/**
 * Errors that a caller can act on. Each has a stable numeric code (returned as
 * `result.statusCode` in the PMP envelope, so clients need not match message text) and a
 * human message that never contains a secret value.
 *
 * Codes: 20000 success (not an error); 4xxxx failures grouped by kind; 5xxxx faults. Every code
 * is an entry of the catalogue in result-codes.ts (its HTTP status and meaning), from which
 * docs/api-errors.md is generated.
 */
export abstract class DomainError extends Error {
  abstract readonly code: ResultCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }

  /** The HTTP status the answer travels with (result-codes.ts): 200 for logical failures. */
  get httpStatus(): number {
    return httpStatusOf(this.code);
  }
}

/** Malformed or missing input: the request could not be understood. */
export class InvalidInputError extends DomainError {
  readonly code: ResultCode;
  constructor(message: string, code: ResultCode = RESULT_CODES.invalidInput.code) {
    super(message);
    this.code = code;
  }
}

/**
 * Bad input in one named field of a native (console) request: `field` is the field's path in the
 * JSON body (`name`, `accounts.0.password`), so a form shows the message beside that field.
 */
export class FieldInputError extends InvalidInputError {
  constructor(
    readonly field: string,
    message: string,
    code: ResultCode = RESULT_CODES.invalidInput.code,
  ) {
    super(message, code);
  }
}

/**
 * Input that names something that does not exist (a password policy by name): `reference` says
 * what kind of thing, so a console route can answer it beside the field that named it while the
 * PMP API answers the message as before.
 */
export class UnknownReferenceError extends InvalidInputError {
  constructor(
    readonly reference: 'passwordPolicy',
    message: string,
  ) {
    super(message);
  }
}

export class MissingFieldError extends InvalidInputError {
  constructor(field: string, context?: string) {
    super(
      `${field} is mandatory${context ? ` ${context}` : ''} and was not given`,
      RESULT_CODES.missingField.code,
    );
  }
}

export class FieldTooLongError extends InvalidInputError {
  constructor(field: string, max: number) {
    super(`${field} is longer than the maximum of ${max} characters`, RESULT_CODES.tooLong.code);
  }
}

/**
 * The input cannot be read as what it claims to be: a multipart body that ends early or is
 * malformed, bytes that are not UTF-8, text that is not valid Unicode (a lone surrogate).
 */
export class UnreadableInputError extends InvalidInputError {
  constructor(message: string) {
    super(message, RESULT_CODES.unreadableInput.code);
  }
}

export class AuthenticationError extends DomainError {
  readonly code = RESULT_CODES.authentication.code;
}

/**
 * The object does not exist, or the caller may not see it. Both cases share one message so
 * a caller cannot learn whether an ID exists.
 */
export class NotFoundError extends DomainError {
  readonly code = RESULT_CODES.notFound.code;
}

/** The caller may see the object but not perform this operation on it. */
export class NotPermittedError extends DomainError {
  readonly code = RESULT_CODES.notPermitted.code;
}

export class ConflictError extends DomainError {
  readonly code = RESULT_CODES.conflict.code;
}

/** A well-formed request that the current state or configuration cannot carry out. */
export class OperationNotAvailableError extends DomainError {
  readonly code = RESULT_CODES.notAvailable.code;
}

export class PayloadTooLargeError extends DomainError {
  readonly code = RESULT_CODES.payloadTooLarge.code;
}

export class MethodNotAllowedError extends DomainError {
  readonly code = RESULT_CODES.methodNotAllowed.code;
}

export class UnknownEndpointError extends DomainError {
  readonly code = RESULT_CODES.unknownEndpoint.code;
}

/**
 * A stored secret failed authenticated decryption: it was altered, or moved from another row.
 * Nothing is released. Not the caller's fault, but an answer the caller must be able to read.
 */
export class IntegrityError extends DomainError {
  readonly code = RESULT_CODES.integrity.code;
}

/**
 * The disk under the database or the data directory is full: nothing of the request was
 * written. Answered with HTTP 507 (ADR 022); reads keep working.
 */
export class StorageFullError extends DomainError {
  readonly code = RESULT_CODES.storageFull.code;
}

/**
 * The database cannot be reached (stopped, restarting, network down). Answered with HTTP 503
 * (ADR 022); requests succeed again once it is back, without restarting Bulwark.
 */
export class DatabaseUnavailableError extends DomainError {
  readonly code = RESULT_CODES.databaseUnavailable.code;
}

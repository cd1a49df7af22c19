import { InvalidInputError } from '../../../platform/errors.js';

/**
 * A refusal about a keystore's password itself (wrong, missing or empty), as opposed to the
 * file or the key: the console shows it beside its password field and every other refusal
 * where it belongs. Same result code as any bad input.
 */
export class KeystorePasswordError extends InvalidInputError {}

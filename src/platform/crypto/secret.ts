import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value in transit (password, file content, key). It prints, logs and serialises as
 * "[redacted]"; the value is reachable only through reveal(), which makes every place that
 * exposes a secret easy to find.
 */
export class Secret<T extends string | Buffer = string> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  reveal(): T {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

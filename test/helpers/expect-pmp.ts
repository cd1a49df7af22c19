import { expect } from 'vitest';
import type { PmpAnswer } from './client.js';

/** The Content-Type of every PMP answer, Success or Failed (as PMP itself sends it). */
export const PMP_CONTENT_TYPE = 'application/json;charset=UTF-8';

/**
 * The envelope as clients read it: HTTP 200, the PMP Content-Type, the parsed status, and the
 * compact `"status":"…"` in the raw text (some clients search for it). A failing check shows
 * the operation name and message.
 */
function expectAnswer(answer: PmpAnswer, status: 'Success' | 'Failed', name: string | undefined): void {
  const shown = `${answer.name}: ${answer.message}`;
  expect(answer.http.status, shown).toBe(200);
  expect(answer.http.headers['content-type'], shown).toBe(PMP_CONTENT_TYPE);
  expect(answer.status, shown).toBe(status);
  expect(answer.http.text, shown).toContain(`"status":"${status}"`);
  if (name !== undefined) expect(answer.name).toBe(name);
}

/** A PMP answer that succeeded, from the operation `name` if given. */
export function expectSuccess(answer: PmpAnswer, name?: string): PmpAnswer {
  expectAnswer(answer, 'Success', name);
  return answer;
}

/**
 * A PMP answer that failed as bad input must (an envelope, not an HTTP error), from the
 * operation `name` if given. `message`: a string is the whole message, a RegExp a pattern in it.
 */
export function expectFailed(answer: PmpAnswer, message?: string | RegExp, name?: string): PmpAnswer {
  expectAnswer(answer, 'Failed', name);
  if (typeof message === 'string') expect(answer.message).toBe(message);
  else if (message !== undefined) expect(answer.message).toMatch(message);
  return answer;
}

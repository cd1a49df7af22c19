import { expect } from 'vitest';
import type { PmpAnswer } from './client.js';

/** A PMP answer that succeeded: HTTP 200 and `"status":"Success"` (the message shown if not). */
export function expectSuccess(answer: PmpAnswer): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Success');
  return answer;
}

/** A PMP answer that failed as bad input must: HTTP 200, `"status":"Failed"`, a message saying why. */
export function expectFailed(answer: PmpAnswer, message?: RegExp): PmpAnswer {
  expect(answer.http.status).toBe(200);
  expect(answer.status, answer.message).toBe('Failed');
  if (message !== undefined) expect(answer.message).toMatch(message);
  return answer;
}

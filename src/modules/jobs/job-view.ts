/**
 * What the console answers of a job's result and last error. The invariant is where jobs are
 * made: payloads, progress, results and errors never hold a secret (a handler reads secrets from
 * the vault by id and answers ids, counts and outcomes; see `JobHandler` in the runner). This is
 * the second line, so a handler that breaks it does not leak through the console: keys that name
 * secrets are dropped, anything that looks like key material is blanked, and the size is bounded.
 */

/** Keys whose values are never answered, wherever they are in a result. */
const SECRET_KEY = /pass(word|phrase|wd)|secret|private|token|pem|sealed|credential|api[-_]?key|totp|otp$/i;
/** PEM blocks and OpenSSH private keys inside any text. */
const KEY_MATERIAL = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
const MAX_DEPTH = 6;
const MAX_ITEMS = 1000;
const MAX_TEXT = 2000;

export const REMOVED = '[removed]';

/** Text with key material blanked and its length bounded. */
export function publicText(text: string): string {
  return text.replace(KEY_MATERIAL, REMOVED).slice(0, MAX_TEXT);
}

/** A JSON result as the console may show it: see the module comment. */
export function publicResult(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return publicText(value);
  if (depth >= MAX_DEPTH) return REMOVED;
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => publicResult(v, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) continue;
      out[key] = publicResult(v, depth + 1);
    }
    return out;
  }
  return null;
}

import { parseLenientJsonPrefix, type JsonValue } from './lenient-json.js';

/**
 * Reads `name=value&name=value` text (a query string or a urlencoded body) the way PMP
 * clients actually send it.
 *
 * The exception that shapes this code: a value for INPUT_DATA that starts with `{` or `[` is
 * a raw, un-encoded JSON document (`INPUT_DATA={"operation":...}` with Content-Type text/json
 * or none). It is read as JSON up to its balanced end and never URL-decoded, so a password
 * holding `+`, `%`, `&` or `=` arrives intact. Everything else is form-decoded (`+` is a space).
 */
export interface FormField {
  readonly name: string;
  /** Decoded text, or the already-parsed JSON of a raw INPUT_DATA value. */
  readonly value: string | { readonly json: JsonValue };
}

const RAW_JSON_FIELDS = new Set(['input_data']);
const MAX_RAW_JSON_FAILURES = 4;

export function parseFormLike(text: string): FormField[] {
  const fields: FormField[] = [];
  let pos = 0;
  // The first "=" at or after pos, kept between segments: searching afresh in every segment
  // would rescan the rest of the text each time (quadratic on `a&a&a&…`).
  let nextEq = -2;
  // A failed raw-JSON attempt may scan far past its own field before giving up; after a few,
  // stop trying so that `INPUT_DATA=[[…&INPUT_DATA=[[…&…` cannot multiply the work.
  let rawFailuresLeft = MAX_RAW_JSON_FAILURES;
  while (pos < text.length) {
    const amp = text.indexOf('&', pos);
    if (nextEq !== -1 && nextEq < pos) nextEq = text.indexOf('=', pos);
    const eq = nextEq;
    const segmentEnd = amp === -1 ? text.length : amp;
    if (eq === -1 || eq > segmentEnd) {
      const name = formDecode(text.slice(pos, segmentEnd));
      if (name !== '') fields.push({ name, value: '' });
      pos = segmentEnd + 1;
      continue;
    }
    const name = formDecode(text.slice(pos, eq));
    const valueStart = eq + 1;
    const first = text[valueStart];
    if (RAW_JSON_FIELDS.has(name.toLowerCase()) && (first === '{' || first === '[') && rawFailuresLeft > 0) {
      const raw = tryRawJson(text, valueStart);
      if (raw !== undefined) {
        fields.push({ name, value: { json: raw.value } });
        pos = raw.end + 1;
        continue;
      }
      rawFailuresLeft--;
    }
    fields.push({ name, value: formDecode(text.slice(valueStart, segmentEnd)) });
    pos = segmentEnd + 1;
  }
  return fields;
}

/**
 * `{%22` or `[%27`: the quotes were percent-encoded but the brackets left alone, as a WHATWG
 * URL serialiser (fetch, `new URL`, browsers) does to a literal JSON query. Such text would
 * parse leniently as bare `%22key%22` words, so it is form-decoded instead.
 */
const ENCODED_QUOTE_AFTER_BRACKET = /^[{[](?:\s|\+|%20)*%2[27]/i;

function tryRawJson(text: string, start: number): { value: JsonValue; end: number } | undefined {
  if (ENCODED_QUOTE_AFTER_BRACKET.test(text.slice(start, start + 64))) return undefined;
  try {
    const { value, end } = parseLenientJsonPrefix(text, start);
    if (end === text.length || text[end] === '&') return { value, end };
  } catch {
    // Not raw JSON after all (an encoded value that happens to start with a brace).
  }
  return undefined;
}

/** application/x-www-form-urlencoded decoding that never throws on a stray `%`. */
export function formDecode(text: string): string {
  const plus = text.includes('+') ? text.replaceAll('+', ' ') : text;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
      try {
        return decodeURIComponent(run);
      } catch {
        return run;
      }
    });
  }
}

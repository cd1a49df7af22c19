/**
 * A forgiving JSON reader for INPUT_DATA. Real PMP clients send, besides JSON:
 * single-quoted strings (Python repr), trailing commas, missing commas between members,
 * unquoted keys and values (curl without shell quoting: {operation:{Details:{REASON:Need it}}}),
 * Python's True/False/None, `=` instead of `:` and `;` as a separator.
 * Objects are created without a prototype so a key such as "__proto__" is only data.
 */
export class LenientJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at character ${position + 1}`);
  }
}

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const MAX_DEPTH = 64;

export interface LenientParseResult {
  value: JsonValue;
  /** Index just past the parsed value (trailing whitespace skipped). */
  end: number;
}

/** Parses one value starting at `start`; text after it is left to the caller. */
export function parseLenientJsonPrefix(text: string, start = 0): LenientParseResult {
  const parser = new Parser(text, start);
  const value = parser.value(0, 'top');
  parser.skipSpace();
  return { value, end: parser.pos };
}

/** Parses the whole text as one value; anything after it is an error. */
export function parseLenientJson(text: string): JsonValue {
  const { value, end } = parseLenientJsonPrefix(text);
  if (end < text.length) throw new LenientJsonError('unexpected text after the end of the value', end);
  return value;
}

type Context = 'top' | 'object' | 'array';

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

class Parser {
  pos: number;
  constructor(
    private readonly text: string,
    start: number,
  ) {
    this.pos = start;
  }

  skipSpace(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      // space, tab, CR, LF, NBSP, BOM
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || c === 0xfeff) this.pos++;
      else break;
    }
  }

  fail(message: string): never {
    throw new LenientJsonError(message, this.pos);
  }

  value(depth: number, context: Context): JsonValue {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    this.skipSpace();
    if (this.pos >= this.text.length) this.fail('unexpected end of input');
    const c = this.text[this.pos];
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"' || c === "'") return this.string(c);
    return this.bareValue(context);
  }

  object(depth: number): JsonObject {
    const result = Object.create(null) as JsonObject;
    this.pos++; // {
    for (;;) {
      this.skipSeparators();
      if (this.pos >= this.text.length) this.fail('unterminated object');
      if (this.text[this.pos] === '}') {
        this.pos++;
        return result;
      }
      const key = this.key();
      this.skipSpace();
      const sep = this.text[this.pos];
      if (sep === ':' || sep === '=') this.pos++;
      else this.fail(`expected ":" after key "${key.slice(0, 40)}"`);
      result[key] = this.value(depth + 1, 'object');
    }
  }

  array(depth: number): JsonValue[] {
    const result: JsonValue[] = [];
    this.pos++; // [
    for (;;) {
      this.skipSeparators();
      if (this.pos >= this.text.length) this.fail('unterminated array');
      if (this.text[this.pos] === ']') {
        this.pos++;
        return result;
      }
      result.push(this.value(depth + 1, 'array'));
    }
  }

  /** Commas (also doubled or trailing) and semicolons between members. */
  skipSeparators(): void {
    for (;;) {
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',' || c === ';') this.pos++;
      else return;
    }
  }

  key(): string {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.string(c).trim();
    const start = this.pos;
    while (this.pos < this.text.length && !':={}[],"\''.includes(this.text[this.pos]!)) this.pos++;
    const key = this.text.slice(start, this.pos).trim();
    if (key === '') this.fail('expected a key');
    return key;
  }

  string(quote: string): string {
    const t = this.text;
    this.pos++;
    let out = '';
    let chunkStart = this.pos;
    while (this.pos < t.length) {
      const c = t[this.pos]!;
      if (c === quote) {
        out += t.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += t.slice(chunkStart, this.pos);
        const e = t[this.pos + 1];
        this.pos += 2;
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            const hex = t.slice(this.pos, this.pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
            out += String.fromCharCode(parseInt(hex, 16));
            this.pos += 4;
            break;
          }
          case undefined:
            this.fail('unterminated string');
            break;
          default:
            // \" \' \\ \/ and anything else: the character itself.
            out += e;
        }
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail('unterminated string');
  }

  bareValue(context: Context): JsonValue {
    const t = this.text;
    const start = this.pos;
    const stops = context === 'array' ? ',]\n;' : context === 'object' ? ',}\n;' : '';
    while (this.pos < t.length && !stops.includes(t[this.pos]!)) {
      // A bare value cannot contain the start of a nested structure.
      if (t[this.pos] === '{' || t[this.pos] === '[') break;
      this.pos++;
    }
    const word = t.slice(start, this.pos).trim();
    if (word === '') this.fail('expected a value');
    if (word === 'true' || word === 'True') return true;
    if (word === 'false' || word === 'False') return false;
    if (word === 'null' || word === 'None') return null;
    if (NUMBER.test(word)) {
      const n = Number(word);
      // Integers beyond 2^53 (ids from other systems) stay exact as strings.
      return Number.isSafeInteger(n) || !/^-?\d+$/.test(word) ? n : word;
    }
    if (context === 'top') this.fail('expected "{" or "["');
    return word;
  }
}

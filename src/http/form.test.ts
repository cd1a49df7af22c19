import { describe, it, expect } from 'vitest';
import { formDecode, parseFormLike, type FormField } from './form.js';
import type { JsonValue } from './lenient-json.js';

/** Python's urllib.parse.quote_plus (what `requests` does to form data): spaces as `+`. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** curl --data-urlencode: everything but unreserved characters is %-encoded, spaces as %20. */
function curlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function plain(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

function field(fields: FormField[], name: string): FormField['value'] | undefined {
  return fields.find((f) => f.name === name)?.value;
}

/** The JSON of a raw INPUT_DATA field (fails the test if it was form-decoded instead). */
function rawJson(fields: FormField[], name = 'INPUT_DATA'): unknown {
  const value = field(fields, name);
  expect(value).toBeTypeOf('object');
  return plain((value as { json: JsonValue }).json);
}

/** The text of a form-decoded field (fails the test if it was read as raw JSON). */
function text(fields: FormField[], name: string): string {
  const value = field(fields, name);
  expect(value).toBeTypeOf('string');
  return value as string;
}

const DOCUMENT = { operation: { Details: { PASSWORD: 'a+b&c=d%20', REASON: 'Need it for é 日本 😀' } } };

describe('formDecode', () => {
  it('turns + into a space', () => {
    expect(formDecode('a+b')).toBe('a b');
    expect(formDecode('+++')).toBe('   ');
  });

  it('decodes %XX sequences, including multi-byte UTF-8', () => {
    expect(formDecode('a%20b')).toBe('a b');
    expect(formDecode('%2B%26%3D%25%27%22')).toBe('+&=%\'"');
    expect(formDecode('%c3%a9%C3%A9')).toBe('éé');
    expect(formDecode('%E6%97%A5%E6%9C%AC')).toBe('日本');
    expect(formDecode('%F0%9F%98%80')).toBe('😀');
  });

  it('keeps an encoded + as a plus (not a space)', () => {
    expect(formDecode('a%2Bb+c')).toBe('a+b c');
  });

  it('leaves text without escapes untouched', () => {
    expect(formDecode('plain-text_1.2~')).toBe('plain-text_1.2~');
    expect(formDecode('')).toBe('');
    expect(formDecode('é日本😀')).toBe('é日本😀');
  });

  it('never throws on malformed % sequences and keeps them literally', () => {
    expect(formDecode('100%')).toBe('100%');
    expect(formDecode('%')).toBe('%');
    expect(formDecode('%zz')).toBe('%zz');
    expect(formDecode('%4')).toBe('%4');
    expect(formDecode('%%41')).toBe('%A');
    expect(formDecode('%FF')).toBe('%FF'); // not UTF-8
    expect(formDecode('%E6%97')).toBe('%E6%97'); // truncated UTF-8
    expect(formDecode('%ED%A0%80')).toBe('%ED%A0%80'); // an encoded lone surrogate
  });

  it('still decodes the valid escapes next to a malformed one', () => {
    expect(formDecode('a%20b%')).toBe('a b%');
    expect(formDecode('50%+off%21')).toBe('50% off!');
    expect(formDecode('%C3%A9+%zz')).toBe('é %zz');
  });

  it('never throws, whatever the input', () => {
    const alphabet = '%+0123456789abcdefABCDEFzZ&=é日😀';
    const chars = [...alphabet];
    let seed = 42;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      let s = '';
      const length = Math.floor(random() * 12);
      for (let j = 0; j < length; j++) s += chars[Math.floor(random() * chars.length)]!;
      expect(() => formDecode(s)).not.toThrow();
      expect(() => parseFormLike(s)).not.toThrow();
    }
  });
});

describe('parseFormLike: ordinary form fields', () => {
  it('splits name=value pairs in order', () => {
    expect(parseFormLike('a=1&b=2&a=3')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
      { name: 'a', value: '3' },
    ]);
  });

  it('decodes names and values', () => {
    expect(parseFormLike('RESOURCE+NAME=web+server&ACCOUNT%20NAME=r%C3%A9mi%2Bx')).toEqual([
      { name: 'RESOURCE NAME', value: 'web server' },
      { name: 'ACCOUNT NAME', value: 'rémi+x' },
    ]);
  });

  it('reads empty values, names without "=" and stray "&"', () => {
    expect(parseFormLike('a=&flag&&b=2&')).toEqual([
      { name: 'a', value: '' },
      { name: 'flag', value: '' },
      { name: 'b', value: '2' },
    ]);
    expect(parseFormLike('')).toEqual([]);
    expect(parseFormLike('&&&')).toEqual([]);
  });

  it('keeps "=" after the first one as part of the value', () => {
    expect(parseFormLike('token=abc==&x=a=b')).toEqual([
      { name: 'token', value: 'abc==' },
      { name: 'x', value: 'a=b' },
    ]);
  });

  it('reads a value that starts with "{" as text when the field is not INPUT_DATA', () => {
    expect(parseFormLike('OTHER={"a":1}')).toEqual([{ name: 'OTHER', value: '{"a":1}' }]);
  });

  it('never throws on malformed escapes in names or values', () => {
    expect(parseFormLike('a%=%zz&%E6=100%')).toEqual([
      { name: 'a%', value: '%zz' },
      { name: '%E6', value: '100%' },
    ]);
  });

  it('stays linear on many fields (no rescanning of the rest of the text)', () => {
    // 2.4 MB of `a&`: a quadratic scan takes minutes here, a linear one well under a second.
    const started = performance.now();
    const fields = parseFormLike('a&'.repeat(1_200_000) + 'b=1');
    expect(fields).toHaveLength(1_200_001);
    expect(fields[1_200_000]).toEqual({ name: 'b', value: '1' });
    parseFormLike('a=1&'.repeat(300_000));
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('stays fast on many INPUT_DATA fields that look like raw JSON but are not', () => {
    const shapes = [
      'INPUT_DATA={"a":"&',
      'INPUT_DATA=["&',
      'INPUT_DATA=["\',&',
      'INPUT_DATA={a:&',
      'INPUT_DATA=[[[[&',
      'INPUT_DATA={%22&',
    ];
    for (const shape of shapes) {
      const started = performance.now();
      parseFormLike(shape.repeat(40_000));
      expect(performance.now() - started, shape).toBeLessThan(1000);
    }
  });

  it('still reads raw JSON after a malformed raw-looking INPUT_DATA', () => {
    const fields = parseFormLike('INPUT_DATA={bad&INPUT_DATA={"P":"a+b"}');
    expect(fields).toHaveLength(2);
    expect(text(fields, 'INPUT_DATA')).toBe('{bad');
    expect(plain((fields[1]!.value as { json: JsonValue }).json)).toEqual({ P: 'a+b' });
  });
});

describe('parseFormLike: raw (un-encoded) INPUT_DATA', () => {
  it('reads the raw JSON without URL-decoding it, so the password stays exactly a+b&c=d%20', () => {
    const fields = parseFormLike('INPUT_DATA={"operation":{"Details":{"PASSWORD":"a+b&c=d%20"}}}');
    expect(fields).toHaveLength(1);
    expect(fields[0]!.name).toBe('INPUT_DATA');
    expect(rawJson(fields)).toEqual({ operation: { Details: { PASSWORD: 'a+b&c=d%20' } } });
  });

  it('reads raw JSON followed by &OTHER=1', () => {
    const fields = parseFormLike(
      'INPUT_DATA={"operation":{"Details":{"PASSWORD":"a+b&c=d%20"}}}&OTHER=1&AUTHTOKEN=x%2By',
    );
    expect(fields.map((f) => f.name)).toEqual(['INPUT_DATA', 'OTHER', 'AUTHTOKEN']);
    expect(rawJson(fields)).toEqual({ operation: { Details: { PASSWORD: 'a+b&c=d%20' } } });
    expect(text(fields, 'OTHER')).toBe('1');
    expect(text(fields, 'AUTHTOKEN')).toBe('x+y');
  });

  it('reads raw JSON that comes after other fields', () => {
    const fields = parseFormLike(`AUTHTOKEN=t&INPUT_DATA=${JSON.stringify(DOCUMENT)}`);
    expect(text(fields, 'AUTHTOKEN')).toBe('t');
    expect(rawJson(fields)).toEqual(DOCUMENT);
  });

  it('matches the INPUT_DATA name in any letter case and keeps the name as sent', () => {
    const fields = parseFormLike('input_data={"a":"1+1"}');
    expect(fields[0]!.name).toBe('input_data');
    expect(rawJson(fields, 'input_data')).toEqual({ a: '1+1' });
  });

  it('reads raw single-quoted pseudo-JSON (Python repr)', () => {
    const fields = parseFormLike(
      "INPUT_DATA={'operation': {'Details': {'PASSWORD': 'a+b&c=d%20', 'X': True}}}",
    );
    expect(rawJson(fields)).toEqual({ operation: { Details: { PASSWORD: 'a+b&c=d%20', X: true } } });
  });

  it('reads a raw JSON array', () => {
    expect(rawJson(parseFormLike('INPUT_DATA=[1,"a&b"]&X=1'))).toEqual([1, 'a&b']);
  });

  it('keeps %22 and %27 inside raw JSON strings', () => {
    expect(rawJson(parseFormLike('INPUT_DATA={"P":"%22x%27"}'))).toEqual({ P: '%22x%27' });
    expect(rawJson(parseFormLike("INPUT_DATA={'P':'%22'}"))).toEqual({ P: '%22' });
  });

  it('keeps non-ASCII text in raw JSON', () => {
    expect(rawJson(parseFormLike('INPUT_DATA={"P":"é日本😀"}'))).toEqual({ P: 'é日本😀' });
  });
});

describe('parseFormLike: url-encoded INPUT_DATA', () => {
  const json = JSON.stringify(DOCUMENT);

  it('decodes what curl --data-urlencode sends', () => {
    const fields = parseFormLike(`INPUT_DATA=${curlEncode(json)}`);
    expect(text(fields, 'INPUT_DATA')).toBe(json);
  });

  it('decodes what Python requests sends (spaces as +, + as %2B)', () => {
    const pretty = JSON.stringify(DOCUMENT, null, 1).replace(/\n/g, '');
    const body = `INPUT_DATA=${quotePlus(pretty)}&AUTHTOKEN=abc`;
    expect(body).toContain('%3A+');
    const fields = parseFormLike(body);
    expect(text(fields, 'INPUT_DATA')).toBe(pretty);
    expect(text(fields, 'AUTHTOKEN')).toBe('abc');
  });

  it('decodes the ?INPUT_DATA=%7B... query shape', () => {
    const fields = parseFormLike(`AUTHTOKEN=t&INPUT_DATA=${encodeURIComponent(json)}`);
    expect(text(fields, 'INPUT_DATA')).toBe(json);
  });

  it('decodes a query whose braces were left alone by a WHATWG URL serialiser (fetch, new URL)', () => {
    const doc = { operation: { Details: { SEARCHVALUE: 'web server', PASSWORD: 'é日本"x' } } };
    const search = new URL(`https://vault.example/x?INPUT_DATA=${JSON.stringify(doc)}`).search.slice(1);
    expect(search.startsWith('INPUT_DATA={%22')).toBe(true);
    const fields = parseFormLike(search);
    expect(JSON.parse(text(fields, 'INPUT_DATA'))).toEqual(doc);
  });
});

describe('parseFormLike: a value starting with "{" that is not raw JSON', () => {
  it('falls back to form decoding when the JSON is malformed', () => {
    const fields = parseFormLike('INPUT_DATA={not+json&X=1');
    expect(text(fields, 'INPUT_DATA')).toBe('{not json');
    expect(text(fields, 'X')).toBe('1');
  });

  it('falls back when the JSON is followed by something other than "&"', () => {
    const fields = parseFormLike('INPUT_DATA={"a":1}}&X=1');
    expect(text(fields, 'INPUT_DATA')).toBe('{"a":1}}');
    expect(text(fields, 'X')).toBe('1');
  });

  it('falls back for JSON with +-encoded spaces between members (and decodes it)', () => {
    const fields = parseFormLike('INPUT_DATA={"operation":+{"Details":+{"A":+"x+y"}}}');
    expect(JSON.parse(text(fields, 'INPUT_DATA'))).toEqual({ operation: { Details: { A: 'x y' } } });
  });

  it('falls back for an unterminated document and keeps the text', () => {
    const fields = parseFormLike('INPUT_DATA={"operation":{"Details":');
    expect(text(fields, 'INPUT_DATA')).toBe('{"operation":{"Details":');
  });

  it('falls back for a lone "{"', () => {
    expect(parseFormLike('INPUT_DATA={')).toEqual([{ name: 'INPUT_DATA', value: '{' }]);
  });
});

import { describe, it, expect } from 'vitest';
import {
  LenientJsonError,
  parseLenientJson,
  parseLenientJsonPrefix,
  type JsonObject,
  type JsonValue,
} from './lenient-json.js';

/** Narrows a parsed value to an object (fails the test otherwise). */
function obj(value: JsonValue | undefined): JsonObject {
  expect(value).toBeTypeOf('object');
  expect(value).not.toBeNull();
  expect(Array.isArray(value)).toBe(false);
  return value as JsonObject;
}

/** Runs `fn`, expects a LenientJsonError and returns it. */
function lenientError(fn: () => unknown): LenientJsonError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LenientJsonError);
    return err as LenientJsonError;
  }
  throw new Error('expected a LenientJsonError, nothing was thrown');
}

/** Plain-object deep copy so results compare with ordinary literals regardless of prototype. */
function plain(value: JsonValue): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('parseLenientJson: strict JSON', () => {
  const documents = [
    '{}',
    '[]',
    '{"operation":{"Details":{"RESOURCENAME":"web01","ACCOUNTNAME":"root","RESOURCEIDS":[5,6],"X":null,"Y":true,"Z":false}}}',
    '{ "a" : [ 1 , -2 , 3.5 , 1e3 , -1.25E-2 , 0 ] , "b" : { } , "c" : [ ] , "d" : "" }',
    '[[[["deep"]]]]',
    '\n\t {"spaced":\r\n "out"}\n',
    '{"unicode":"é 日本 😀","escaped":"\\u00e9\\u65e5\\ud83d\\ude00"}',
  ];
  it.each(documents)('parses %s like JSON.parse', (text) => {
    expect(plain(parseLenientJson(text))).toEqual(JSON.parse(text));
  });

  it('parses top-level scalars', () => {
    expect(parseLenientJson('42')).toBe(42);
    expect(parseLenientJson('-7.5')).toBe(-7.5);
    expect(parseLenientJson('"text"')).toBe('text');
    expect(parseLenientJson("'text'")).toBe('text');
    expect(parseLenientJson('true')).toBe(true);
    expect(parseLenientJson('false')).toBe(false);
    expect(parseLenientJson('null')).toBeNull();
  });

  it('keeps member order and the last of duplicate keys', () => {
    const result = obj(parseLenientJson('{"b":1,"a":2,"b":3}'));
    expect(Object.keys(result)).toEqual(['b', 'a']);
    expect(result.b).toBe(3);
  });

  it('skips a leading BOM and non-breaking spaces', () => {
    expect(plain(parseLenientJson('\ufeff{"a":1}'))).toEqual({ a: 1 });
    expect(plain(parseLenientJson('\u00a0{\u00a0"a"\u00a0:\u00a01\u00a0}\u00a0'))).toEqual({ a: 1 });
  });
});

describe('parseLenientJson: Python repr and other lenient shapes', () => {
  it('reads single-quoted strings (Python repr)', () => {
    const result = parseLenientJson(
      "{'operation': {'Details': {'A': 'x', 'B': \"it's\", 'C': 'say \"hi\"'}}}",
    );
    expect(plain(result)).toEqual({ operation: { Details: { A: 'x', B: "it's", C: 'say "hi"' } } });
  });

  it("reads escaped quotes inside single-quoted strings (repr of 'it\\'s \"x\"')", () => {
    expect(plain(parseLenientJson("{'P': 'it\\'s \"x\"'}"))).toEqual({ P: 'it\'s "x"' });
  });

  it('reads Python True / False / None', () => {
    const result = parseLenientJson("{'a': True, 'b': False, 'c': None, 'd': [True, None]}");
    expect(plain(result)).toEqual({ a: true, b: false, c: null, d: [true, null] });
  });

  it('accepts trailing and doubled commas', () => {
    expect(plain(parseLenientJson('{"a":1,}'))).toEqual({ a: 1 });
    expect(plain(parseLenientJson('[1,2,]'))).toEqual([1, 2]);
    expect(plain(parseLenientJson('{"a":[1,],"b":{"c":"d",},}'))).toEqual({ a: [1], b: { c: 'd' } });
    expect(plain(parseLenientJson('{"a":1,,"b":2}'))).toEqual({ a: 1, b: 2 });
    expect(plain(parseLenientJson('[,1,,2]'))).toEqual([1, 2]);
  });

  it('accepts missing commas between members', () => {
    expect(plain(parseLenientJson('{"a":"x" "b":"y"}'))).toEqual({ a: 'x', b: 'y' });
    expect(plain(parseLenientJson('{"a":{"x":1} "b":[1 ] "c":"z"}'))).toEqual({
      a: { x: 1 },
      b: [1],
      c: 'z',
    });
    expect(plain(parseLenientJson('["a" "b" {"c":1} [2]]'))).toEqual(['a', 'b', { c: 1 }, [2]]);
    // One member per line, no commas at all (bare values end at a newline).
    expect(plain(parseLenientJson('{\n  a: 1\n  b: two words\n  "c": "3"\n}'))).toEqual({
      a: 1,
      b: 'two words',
      c: '3',
    });
  });

  it('reads unquoted keys and bare values (curl without shell quoting)', () => {
    const result = parseLenientJson(
      '{operation:{Details:{REASON:Need the password to Login Windows Server}}}',
    );
    expect(plain(result)).toEqual({
      operation: { Details: { REASON: 'Need the password to Login Windows Server' } },
    });
  });

  it('reads several bare members and bare values with ":" "/" "?" "=" in them', () => {
    const result = parseLenientJson(
      '{operation:{Details:{RESOURCENAME:web01,ACCOUNTNAME:root, URL:https://x.example/a?b=c}}}',
    );
    expect(plain(result)).toEqual({
      operation: { Details: { RESOURCENAME: 'web01', ACCOUNTNAME: 'root', URL: 'https://x.example/a?b=c' } },
    });
  });

  it('reads bare values inside arrays', () => {
    expect(plain(parseLenientJson('[web01, web 02 ,3]'))).toEqual(['web01', 'web 02', 3]);
  });

  it('reads bare true/false/null/numbers as typed values, anything else as text', () => {
    const result = obj(parseLenientJson('{a:true,b:False,c:null,d:None,e:12,f:-1.5,g:007,h:1.2.3,i:TRUE}'));
    expect(result.a).toBe(true);
    expect(result.b).toBe(false);
    expect(result.c).toBeNull();
    expect(result.d).toBeNull();
    expect(result.e).toBe(12);
    expect(result.f).toBe(-1.5);
    expect(result.g).toBe('007'); // leading zeros: not a JSON number, kept as text
    expect(result.h).toBe('1.2.3');
    expect(result.i).toBe('TRUE');
  });

  it('accepts "=" as the key separator and ";" between members', () => {
    expect(plain(parseLenientJson('{a=1; b="x"}'))).toEqual({ a: 1, b: 'x' });
    expect(plain(parseLenientJson('{"a"="x";"b"="y";}'))).toEqual({ a: 'x', b: 'y' });
    expect(plain(parseLenientJson('{a = 1 ; b = two}'))).toEqual({ a: 1, b: 'two' });
    expect(plain(parseLenientJson('{a:[1;2;3]}'))).toEqual({ a: [1, 2, 3] });
    expect(plain(parseLenientJson('["x";"y"]'))).toEqual(['x', 'y']);
  });

  it('ends bare array items at a newline, like bare object values', () => {
    expect(plain(parseLenientJson('[\n  web01\n  web 02\n  3\n]'))).toEqual(['web01', 'web 02', 3]);
  });

  it('trims spaces around keys, quoted or not', () => {
    expect(Object.keys(obj(parseLenientJson('{" POLICYNAME ":"Strong",  RESOURCENAME  :x}')))).toEqual([
      'POLICYNAME',
      'RESOURCENAME',
    ]);
  });
});

describe('parseLenientJson: strings', () => {
  it('decodes the JSON escapes', () => {
    const result = parseLenientJson('"\\"\\\\\\/\\b\\f\\n\\r\\t"');
    expect(result).toBe('"\\/\b\f\n\r\t');
  });

  it('decodes \\u escapes, including surrogate pairs and upper-case hex', () => {
    expect(parseLenientJson('"\\u00e9\\u00E9\\u65e5\\u672c"')).toBe('éé日本');
    expect(parseLenientJson('"\\ud83d\\ude00"')).toBe('😀');
    expect(parseLenientJson('"\\u0000"')).toBe('\u0000');
  });

  it('treats an unknown escape as the character itself', () => {
    expect(parseLenientJson('"\\q\\\'"')).toBe("q'");
    expect(parseLenientJson("'C:\\\\Windows\\\\System32'")).toBe('C:\\Windows\\System32');
  });

  it('keeps + & % = \' " exactly', () => {
    const password = 'a+b&c=d%20e\'f"g%%2B';
    const text = JSON.stringify({ operation: { Details: { PASSWORD: password } } });
    const result = obj(obj(obj(parseLenientJson(text)).operation).Details);
    expect(result.PASSWORD).toBe(password);
  });

  it('keeps non-ASCII text exactly (é, 日本, emoji), raw and escaped', () => {
    const text = 'pässwörd é 日本語 😀👍🏽';
    expect(parseLenientJson(`"${text}"`)).toBe(text);
    expect(parseLenientJson(`'${text}'`)).toBe(text);
    expect(
      parseLenientJson(
        JSON.stringify(text).replace(
          /[^\x20-\x7e]/g,
          (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
        ),
      ),
    ).toBe(text);
    expect(obj(parseLenientJson(`{日本:${text}}`))['日本']).toBe(text);
  });

  it('keeps whitespace inside quoted values (only bare values are trimmed)', () => {
    expect(obj(parseLenientJson('{"P":"  spaced  "}')).P).toBe('  spaced  ');
    expect(obj(parseLenientJson('{P:  spaced  }')).P).toBe('spaced');
  });

  it('keeps control characters and newlines inside strings', () => {
    expect(parseLenientJson('"a\nb\tc"')).toBe('a\nb\tc');
  });
});

describe('parseLenientJson: numbers', () => {
  it('reads integers and decimals as numbers', () => {
    expect(plain(parseLenientJson('[0,-0,1,123,-45,1.5,-0.25,1e3,2E-2,1.5e+2]'))).toEqual([
      0, 0, 1, 123, -45, 1.5, -0.25, 1000, 0.02, 150,
    ]);
  });

  it('keeps safe integers as numbers', () => {
    expect(parseLenientJson('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseLenientJson('-9007199254740991')).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('keeps integers beyond 2^53 as exact strings', () => {
    expect(parseLenientJson('9007199254740993')).toBe('9007199254740993');
    expect(parseLenientJson('9007199254740992')).toBe('9007199254740992');
    expect(parseLenientJson('-9007199254740993')).toBe('-9007199254740993');
    const result = obj(
      parseLenientJson('{"ID":123456789012345678901234567890,"IDS":[18446744073709551615]}'),
    );
    expect(result.ID).toBe('123456789012345678901234567890');
    expect(plain(result.IDS!)).toEqual(['18446744073709551615']);
  });

  it('keeps quoted numbers as strings', () => {
    expect(obj(parseLenientJson('{"USERID":"1"}')).USERID).toBe('1');
  });
});

describe('parseLenientJson: prototype safety', () => {
  it('creates objects without a prototype at every level', () => {
    const result = obj(parseLenientJson('{"a":{"b":{"c":1}},"l":[{"d":2}]}'));
    expect(Object.getPrototypeOf(result)).toBeNull();
    expect(Object.getPrototypeOf(result.a)).toBeNull();
    expect(Object.getPrototypeOf(obj(result.a).b)).toBeNull();
    expect(Object.getPrototypeOf((result.l as JsonValue[])[0])).toBeNull();
  });

  it('treats "__proto__" as a plain key and does not pollute Object.prototype', () => {
    const result = obj(parseLenientJson('{"__proto__":{"polluted":"yes"},"a":1}'));
    expect(Object.keys(result)).toEqual(['__proto__', 'a']);
    expect(Object.prototype.hasOwnProperty.call(result, '__proto__')).toBe(true);
    expect(plain(result['__proto__']!)).toEqual({ polluted: 'yes' });
    expect((result as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as unknown as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not pollute through nested, single-quoted or bare __proto__ / constructor keys', () => {
    parseLenientJson("{'a': {'__proto__': {'polluted': 1}}}");
    parseLenientJson('{__proto__:{polluted:1}}');
    parseLenientJson('{"constructor":{"prototype":{"polluted":1}}}');
    parseLenientJson('[{"__proto__":{"polluted":1}}]');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.create(null)).not.toHaveProperty('polluted');
  });

  it('reads keys named like Object.prototype members as data', () => {
    const result = obj(
      parseLenientJson('{"toString":"x","hasOwnProperty":1,"constructor":null,"valueOf":[]}'),
    );
    expect(result.toString).toBe('x');
    expect(result.hasOwnProperty).toBe(1);
    expect(result.constructor).toBeNull();
    expect(Array.isArray(result.valueOf)).toBe(true);
    expect(plain(result)).toEqual({ toString: 'x', hasOwnProperty: 1, constructor: null, valueOf: [] });
  });
});

describe('parseLenientJson: nesting limit', () => {
  it('accepts 64 levels of nesting', () => {
    expect(() => parseLenientJson('['.repeat(64) + ']'.repeat(64))).not.toThrow();
    expect(() => parseLenientJson('{"a":'.repeat(64) + '1' + '}'.repeat(64))).not.toThrow();
  });

  it('rejects deeper nesting with a LenientJsonError', () => {
    const err = lenientError(() => parseLenientJson('['.repeat(66) + ']'.repeat(66)));
    expect(err.message).toMatch(/nesting deeper than 64/);
    lenientError(() => parseLenientJson('{"a":'.repeat(100) + '1' + '}'.repeat(100)));
    lenientError(() => parseLenientJson('{a:'.repeat(100) + '1' + '}'.repeat(100)));
  });

  it("fails fast on '['.repeat(100000) instead of overflowing the stack", () => {
    const started = performance.now();
    const err = lenientError(() => parseLenientJson('['.repeat(100_000)));
    expect(err.message).toMatch(/nesting/);
    lenientError(() => parseLenientJson('{"a":'.repeat(100_000)));
    lenientError(() => parseLenientJsonPrefix('[{'.repeat(100_000)));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('parseLenientJson: errors', () => {
  it('is a LenientJsonError with a 0-based position and a 1-based character in the message', () => {
    const err = lenientError(() => parseLenientJson('{"a" 1}'));
    expect(err).toBeInstanceOf(Error);
    expect(err.position).toBe(5);
    expect(err.message).toBe('expected ":" after key "a" at character 6');
  });

  it('reports an unterminated string at the end of the text', () => {
    const err = lenientError(() => parseLenientJson('{"a":"abc'));
    expect(err.message).toMatch(/^unterminated string/);
    expect(err.position).toBe(9);
    lenientError(() => parseLenientJson('"abc\\'));
    lenientError(() => parseLenientJson("{'a':'abc\"}"));
  });

  it('reports unterminated objects and arrays', () => {
    expect(lenientError(() => parseLenientJson('{"a":1')).message).toMatch(
      /unterminated object|unexpected end/,
    );
    expect(lenientError(() => parseLenientJson('{"a":"x",')).message).toMatch(/^unterminated object/);
    expect(lenientError(() => parseLenientJson('[1,2')).message).toMatch(/unterminated array|unexpected end/);
    expect(lenientError(() => parseLenientJson('["x",')).message).toMatch(/^unterminated array/);
    expect(lenientError(() => parseLenientJson('{')).position).toBe(1);
  });

  it('reports empty input', () => {
    const err = lenientError(() => parseLenientJson(''));
    expect(err.message).toMatch(/^unexpected end of input/);
    expect(err.position).toBe(0);
    lenientError(() => parseLenientJson('   \n'));
  });

  it('reports an invalid \\u escape at the escape', () => {
    const err = lenientError(() => parseLenientJson('{"a":"\\uZZZZ"}'));
    expect(err.message).toMatch(/^invalid \\u escape/);
    expect(err.position).toBe(8);
    lenientError(() => parseLenientJson('"\\u12"'));
  });

  it('reports a missing key or value', () => {
    expect(lenientError(() => parseLenientJson('{:1}')).message).toMatch(/^expected a key/);
    expect(lenientError(() => parseLenientJson('{"a":}')).message).toMatch(/^expected a value/);
    expect(lenientError(() => parseLenientJson('{"a"}')).message).toMatch(/^expected ":"/);
  });

  it('rejects a bare word at top level', () => {
    expect(lenientError(() => parseLenientJson('hello')).message).toMatch(/expected "\{" or "\["/);
    lenientError(() => parseLenientJson('INPUT_DATA=x'));
  });

  it('rejects text after the value, at the position of that text', () => {
    const err = lenientError(() => parseLenientJson('{"a":1} x'));
    expect(err.message).toBe('unexpected text after the end of the value at character 9');
    expect(err.position).toBe(8);
    lenientError(() => parseLenientJson('{"a":1}}'));
    lenientError(() => parseLenientJson('{"a":1}&OTHER=1'));
    lenientError(() => parseLenientJson('[1][2]'));
  });

  it('accepts trailing whitespace after the value', () => {
    expect(plain(parseLenientJson('{"a":1}  \r\n\t'))).toEqual({ a: 1 });
  });
});

describe('parseLenientJsonPrefix', () => {
  it('returns the value and the index just past it', () => {
    const text = '{"a":1}&OTHER=1';
    const { value, end } = parseLenientJsonPrefix(text);
    expect(plain(value)).toEqual({ a: 1 });
    expect(end).toBe(7);
    expect(text[end]).toBe('&');
  });

  it('skips whitespace after the value', () => {
    const { end } = parseLenientJsonPrefix('[1, 2]   rest');
    expect(end).toBe(9);
  });

  it('returns the text length when nothing follows', () => {
    const text = '{"a":"b"}';
    expect(parseLenientJsonPrefix(text).end).toBe(text.length);
  });

  it('starts at the given offset', () => {
    const text = 'INPUT_DATA={"operation":{"Details":{"PASSWORD":"a+b&c=d%20"}}}&AUTHTOKEN=x';
    const start = text.indexOf('{');
    const { value, end } = parseLenientJsonPrefix(text, start);
    expect(plain(value)).toEqual({ operation: { Details: { PASSWORD: 'a+b&c=d%20' } } });
    expect(text.slice(end)).toBe('&AUTHTOKEN=x');
  });

  it('still throws when the value itself is malformed', () => {
    lenientError(() => parseLenientJsonPrefix('{"a":'));
    const err = lenientError(() => parseLenientJsonPrefix('xx{"a" 1}', 2));
    expect(err.position).toBe(7);
  });
});

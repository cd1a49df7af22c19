import { describe, it, expect } from 'vitest';
import { FieldTooLongError, InvalidInputError, MissingFieldError } from '../platform/errors.js';
import { Secret } from '../platform/crypto/secret.js';
import { FieldReader } from './field-reader.js';
import { parseLenientJson, type JsonObject, type JsonValue } from './lenient-json.js';

function reader(obj: Record<string, JsonValue>): FieldReader {
  return FieldReader.root(obj);
}

/** Runs `fn` and returns what it threw (fails the test if nothing was thrown). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error('expected an error, nothing was thrown');
}

describe('FieldReader: names', () => {
  it('matches field names ignoring case and surrounding spaces', () => {
    const r = reader({ resourceName: 'web', ' POLICYNAME': 'Strong', 'ACCOUNTNAME ': 'root' });
    expect(r.string('RESOURCENAME')).toBe('web');
    expect(r.string('resourcename')).toBe('web');
    expect(r.string('POLICYNAME')).toBe('Strong');
    expect(r.string('policyName')).toBe('Strong');
    expect(r.string('ACCOUNTNAME')).toBe('root');
    expect(r.has('ResourceName')).toBe(true);
    expect(r.has('MISSING')).toBe(false);
  });

  it('returns raw values untouched', () => {
    const r = reader({ LIST: [1, '2'], OBJ: { a: 1 }, N: 5, NULL: null });
    expect(r.raw('list')).toEqual([1, '2']);
    expect(r.raw('obj')).toEqual({ a: 1 });
    expect(r.raw('n')).toBe(5);
    expect(r.raw('null')).toBeNull();
    expect(r.raw('missing')).toBeUndefined();
    expect(r.has('NULL')).toBe(true);
  });

  it('reads an empty or absent root as having no fields', () => {
    const r = FieldReader.root(undefined);
    expect(r.has('A')).toBe(false);
    expect(r.string('A')).toBeUndefined();
    expect(r.secret('A')).toBeUndefined();
    expect(r.boolean('A')).toBeUndefined();
    expect(r.objectList('A')).toEqual([]);
    expect(() => r.string('A', { required: true })).toThrow(MissingFieldError);
  });

  it('reads objects without a prototype, including a "__proto__" key, as plain data', () => {
    const parsed = parseLenientJson('{"__proto__":"x","constructor":"y","A":"1"}') as JsonObject;
    const r = reader(parsed);
    expect(r.string('__proto__')).toBe('x');
    expect(r.string('CONSTRUCTOR')).toBe('y');
    expect(r.string('A')).toBe('1');
    expect(r.has('toString')).toBe(false);
    expect(r.string('toString')).toBeUndefined();
  });
});

describe('FieldReader.string', () => {
  it('coerces numbers and booleans to text', () => {
    const r = reader({
      USERID: 1,
      RESOURCEID: 303,
      NEG: -5,
      DEC: 1.5,
      T: true,
      F: false,
      BIG: '9007199254740993',
    });
    expect(r.string('USERID')).toBe('1');
    expect(r.string('RESOURCEID')).toBe('303');
    expect(r.string('NEG')).toBe('-5');
    expect(r.string('DEC')).toBe('1.5');
    expect(r.string('T')).toBe('true');
    expect(r.string('F')).toBe('false');
    expect(r.string('BIG')).toBe('9007199254740993');
  });

  it('trims surrounding whitespace', () => {
    expect(reader({ A: '  web 01 \t\n' }).string('A')).toBe('web 01');
  });

  it('keeps non-ASCII text', () => {
    expect(reader({ A: 'é 日本 😀' }).string('A')).toBe('é 日本 😀');
  });

  it('returns undefined for an absent or null optional field, and "" for an empty one', () => {
    const r = reader({ NULL: null, EMPTY: '', BLANK: '   ' });
    expect(r.string('MISSING')).toBeUndefined();
    expect(r.string('NULL')).toBeUndefined();
    expect(r.string('EMPTY')).toBe('');
    expect(r.string('BLANK')).toBe('');
  });

  it('throws MissingFieldError for an absent, null, empty or blank required field', () => {
    const r = reader({ NULL: null, EMPTY: '', BLANK: '   ' });
    for (const name of ['MISSING', 'NULL', 'EMPTY', 'BLANK']) {
      const err = thrown(() => r.string(name, { required: true }));
      expect(err).toBeInstanceOf(MissingFieldError);
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toBe(`${name} is mandatory and was not given`);
      expect((err as MissingFieldError).code).toBe(40002);
    }
  });

  it('requiredString() returns the trimmed text or throws', () => {
    const r = reader({ A: ' x ', E: '' });
    expect(r.requiredString('A', 10)).toBe('x');
    expect(() => r.requiredString('E', 10)).toThrow(MissingFieldError);
    expect(() => r.requiredString('M', 10)).toThrow(MissingFieldError);
    expect(() => r.requiredString('A', 0)).toThrow(FieldTooLongError);
  });

  it('enforces maxLength on the trimmed text', () => {
    const r = reader({ A: 'abcde', B: '  abc  ', N: 12345 });
    expect(r.string('A', { maxLength: 5 })).toBe('abcde');
    expect(r.string('B', { maxLength: 3 })).toBe('abc');
    const err = thrown(() => r.string('A', { maxLength: 4 }));
    expect(err).toBeInstanceOf(FieldTooLongError);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('A is longer than the maximum of 4 characters');
    expect((err as FieldTooLongError).code).toBe(40004);
    expect(() => r.string('N', { maxLength: 4 })).toThrow(FieldTooLongError);
  });

  it('counts maxLength in UTF-16 code units', () => {
    expect(reader({ A: '日本' }).string('A', { maxLength: 2 })).toBe('日本');
    expect(() => reader({ A: '😀😀' }).string('A', { maxLength: 3 })).toThrow(FieldTooLongError);
  });

  it('rejects a list or an object where a single value is expected, naming the field', () => {
    const r = reader({ LIST: ['a'], OBJ: { a: 'b' } });
    const list = thrown(() => r.string('LIST'));
    expect(list).toBeInstanceOf(InvalidInputError);
    expect(list.message).toBe('LIST must be a single value, not a list');
    const obj = thrown(() => r.string('OBJ'));
    expect(obj).toBeInstanceOf(InvalidInputError);
    expect(obj.message).toBe('OBJ must be a single value, not an object');
  });
});

describe('FieldReader.secret', () => {
  it('returns a Secret holding the text exactly, without trimming', () => {
    const value = '  p@ss+w&o%rd=\'"é日本😀\t\n ';
    const s = reader({ PASSWORD: value }).secret('PASSWORD');
    expect(s).toBeInstanceOf(Secret);
    expect(s!.reveal()).toBe(value);
  });

  it('keeps a whitespace-only secret', () => {
    expect(reader({ P: '   ' }).secret('P')!.reveal()).toBe('   ');
  });

  it('does not leak the value when printed or serialised', () => {
    const s = reader({ P: 'hunter2' }).secret('P')!;
    expect(String(s)).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
  });

  it('coerces numbers and booleans', () => {
    const r = reader({ PIN: 1234, B: false, Z: 0 });
    expect(r.secret('PIN')!.reveal()).toBe('1234');
    expect(r.secret('B')!.reveal()).toBe('false');
    expect(r.secret('Z')!.reveal()).toBe('0');
  });

  it('treats absent, null and empty as missing', () => {
    const r = reader({ NULL: null, EMPTY: '' });
    expect(r.secret('MISSING')).toBeUndefined();
    expect(r.secret('NULL')).toBeUndefined();
    expect(r.secret('EMPTY')).toBeUndefined();
    for (const name of ['MISSING', 'NULL', 'EMPTY']) {
      expect(() => r.secret(name, { required: true })).toThrow(MissingFieldError);
    }
  });

  it('enforces maxLength on the untrimmed text without revealing it', () => {
    const r = reader({ P: ' abc ' });
    expect(r.secret('P', { maxLength: 5 })!.reveal()).toBe(' abc ');
    const err = thrown(() => r.secret('P', { maxLength: 4 }));
    expect(err).toBeInstanceOf(FieldTooLongError);
    expect(err.message).not.toContain('abc');
  });

  it('rejects a list or an object', () => {
    expect(() => reader({ P: ['x'] }).secret('P')).toThrow(InvalidInputError);
    expect(() => reader({ P: { a: 'x' } }).secret('P')).toThrow(InvalidInputError);
  });
});

describe('FieldReader.boolean', () => {
  const cases: [JsonValue, boolean][] = [
    [true, true],
    [false, false],
    [1, true],
    [0, false],
    ['true', true],
    ['TRUE', true],
    ['True', true],
    [' true ', true],
    ['false', false],
    ['FALSE', false],
    ['False', false],
    ['yes', true],
    ['no', false],
    ['1', true],
    ['0', false],
  ];
  it.each(cases)('reads %j as %s', (value, expected) => {
    expect(reader({ FLAG: value }).boolean('flag')).toBe(expected);
  });

  it('returns undefined for absent, null or empty', () => {
    const r = reader({ NULL: null, EMPTY: '' });
    expect(r.boolean('MISSING')).toBeUndefined();
    expect(r.boolean('NULL')).toBeUndefined();
    expect(r.boolean('EMPTY')).toBeUndefined();
  });

  it.each<JsonValue>(['maybe', 2, -1, 'truee', 'on'])('rejects %j naming the field', (value) => {
    const err = thrown(() => reader({ FLAG: value }).boolean('FLAG'));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('FLAG must be "true" or "false"');
  });

  it('rejects a list or an object', () => {
    expect(() => reader({ FLAG: [true] }).boolean('FLAG')).toThrow(InvalidInputError);
    expect(() => reader({ FLAG: {} }).boolean('FLAG')).toThrow(InvalidInputError);
  });
});

describe('FieldReader.choice', () => {
  const TYPES = ['Linux', 'Windows', 'MS SQL server'] as const;

  it('returns the canonical spelling whatever the case sent', () => {
    const r = reader({ A: 'linux', B: 'WINDOWS', C: '  ms sql SERVER ', D: 'Linux' });
    expect(r.choice('A', TYPES)).toBe('Linux');
    expect(r.choice('B', TYPES)).toBe('Windows');
    expect(r.choice('C', TYPES)).toBe('MS SQL server');
    expect(r.choice('D', TYPES)).toBe('Linux');
  });

  it('returns undefined for an absent, null or empty optional field', () => {
    const r = reader({ NULL: null, EMPTY: '', BLANK: '  ' });
    expect(r.choice('MISSING', TYPES)).toBeUndefined();
    expect(r.choice('NULL', TYPES)).toBeUndefined();
    expect(r.choice('EMPTY', TYPES)).toBeUndefined();
    expect(r.choice('BLANK', TYPES)).toBeUndefined();
  });

  it('throws MissingFieldError for an absent or empty required field', () => {
    const r = reader({ EMPTY: '' });
    expect(() => r.choice('MISSING', TYPES, { required: true })).toThrow(MissingFieldError);
    expect(() => r.choice('EMPTY', TYPES, { required: true })).toThrow(MissingFieldError);
  });

  it('lists the allowed values and what was sent when the value is not one of them', () => {
    const err = thrown(() => reader({ RESOURCETYPE: 'Solaris' }).choice('RESOURCETYPE', TYPES));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('RESOURCETYPE must be one of Linux, Windows, MS SQL server; got "Solaris"');
  });

  it('cuts a long unknown value in the error message', () => {
    const err = thrown(() => reader({ T: 'x'.repeat(150) }).choice('T', TYPES));
    expect(err.message).toBe(`T must be one of Linux, Windows, MS SQL server; got "${'x'.repeat(60)}"`);
  });

  it('refuses values over 200 characters as too long', () => {
    expect(() => reader({ T: 'x'.repeat(201) }).choice('T', TYPES)).toThrow(FieldTooLongError);
  });

  it('coerces a number to compare it', () => {
    expect(reader({ LEVEL: 2 }).choice('LEVEL', ['1', '2', '3'])).toBe('2');
  });
});

describe('FieldReader.objectList', () => {
  it('reads an array of objects, each with its own case-insensitive reader', () => {
    const r = reader({ ACCOUNTS: [{ accountName: 'root', PASSWORD: ' p ' }, { ACCOUNTNAME: 'admin' }] });
    const items = r.objectList('ACCOUNTS');
    expect(items).toHaveLength(2);
    expect(items[0]!.string('ACCOUNTNAME')).toBe('root');
    expect(items[0]!.secret('password')!.reveal()).toBe(' p ');
    expect(items[1]!.string('accountname')).toBe('admin');
  });

  it('reads a single object as a list of one', () => {
    const items = reader({ ACCOUNTS: { ACCOUNTNAME: 'root' } }).objectList('accounts');
    expect(items).toHaveLength(1);
    expect(items[0]!.string('ACCOUNTNAME')).toBe('root');
  });

  it('reads an empty array as an empty list', () => {
    expect(reader({ ACCOUNTS: [] }).objectList('ACCOUNTS')).toEqual([]);
  });

  it('returns [] for absent, null or empty, and throws MissingFieldError when required', () => {
    const r = reader({ NULL: null, EMPTY: '' });
    for (const name of ['MISSING', 'NULL', 'EMPTY']) {
      expect(r.objectList(name)).toEqual([]);
      expect(() => r.objectList(name, { required: true })).toThrow(MissingFieldError);
    }
  });

  it('rejects items that are not objects, naming the index', () => {
    const cases: [JsonValue, number][] = [
      [[{ A: 1 }, 'text'], 1],
      [[null], 0],
      [[{ A: 1 }, { B: 2 }, [1]], 2],
      [['x'], 0],
      [5, 0],
      ['text', 0],
    ];
    for (const [value, index] of cases) {
      const err = thrown(() => reader({ LIST: value }).objectList('LIST'));
      expect(err).toBeInstanceOf(InvalidInputError);
      expect(err.message).toBe(`LIST[${index}] must be an object`);
    }
  });

  it('enforces maxItems', () => {
    const r = reader({ LIST: [{}, {}, {}] });
    expect(r.objectList('LIST', { maxItems: 3 })).toHaveLength(3);
    const err = thrown(() => r.objectList('LIST', { maxItems: 2 }));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.message).toBe('LIST holds 3 entries; at most 2 are allowed');
  });

  it('names nested fields by their path in errors', () => {
    const items = reader({ ACCOUNTS: [{ ACCOUNTNAME: 'a' }, { PASSWORD: 'x' }] }).objectList('ACCOUNTS');
    const missing = thrown(() => items[1]!.string('ACCOUNTNAME', { required: true }));
    expect(missing).toBeInstanceOf(MissingFieldError);
    expect(missing.message).toBe('ACCOUNTS[1].ACCOUNTNAME is mandatory and was not given');
    const tooLong = thrown(() => items[0]!.string('ACCOUNTNAME', { maxLength: 0 }));
    expect(tooLong.message).toBe('ACCOUNTS[0].ACCOUNTNAME is longer than the maximum of 0 characters');

    const nested = reader({ A: [{ B: [{ C: 'x' }, 'bad'] }] }).objectList('A')[0]!;
    expect(thrown(() => nested.objectList('B')).message).toBe('A[0].B[1] must be an object');
  });
});

describe('FieldReader.idList: wrong shapes are refused, never crash (issue 11, hole 4)', () => {
  // INPUT_DATA objects have no prototype: String() of one throws, which once answered HTTP 500.
  const parsed = (json: string) => FieldReader.root(parseLenientJson(json) as JsonObject);

  it.each([
    ['an object', '{"userGroupIds":{}}', /must be a list of user group IDs/],
    ['an object with members', '{"userGroupIds":{"a":"b"}}', /must be a list of user group IDs/],
    ['a list holding an object', '{"userGroupIds":[1,{"a":"b"}]}', /not an object/],
    ['a list holding a list', '{"userGroupIds":[[1]]}', /not a list/],
    ['a boolean', '{"userGroupIds":true}', /"true" is not a valid user group ID/],
    ['a prototype name', '{"userGroupIds":"constructor"}', /"constructor" is not a valid/],
  ])('refuses %s as a 40005 InvalidInputError', (_what, json, message) => {
    const err = thrown(() => parsed(json).idList('userGroupIds', 'user group'));
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).code).toBe(40005);
    expect(err.message).toMatch(message);
  });

  it('still reads lists, single ids and comma-separated text', () => {
    expect(parsed('{"ids":[1,"2"]}').idList('ids', 'user')).toEqual([1, 2]);
    expect(parsed('{"ids":7}').idList('ids', 'user')).toEqual([7]);
    expect(parsed('{"ids":"3, 4"}').idList('ids', 'user')).toEqual([3, 4]);
  });
});

import { describe, expect, it } from 'vitest';
import { ImportFileError } from '../import.types.js';
import { Secret } from '../../../platform/crypto/secret.js';
import type { ImportRecord } from '../import.types.js';
import { parseBulwarkCsv, writeBulwarkCsv } from './bulwark-csv.js';
import { headerKey, parseCsv } from './csv.js';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe('parseCsv (RFC 4180)', () => {
  it('reads plain fields, CRLF and LF line ends, and no empty record for the final line break', () => {
    expect(fields('a,b,c\r\n1,2,3\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
    expect(fields('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(fields('a,b\r1,2\r')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks, and numbers records by their first line', () => {
    const records = parseCsv(
      'h1,h2\r\n"x, y","say ""hi"""\r\n"two\r\nlines","three\nlines\nhere"\r\nlast,""\r\n',
    );
    expect(records.map((r) => r.fields)).toEqual([
      ['h1', 'h2'],
      ['x, y', 'say "hi"'],
      ['two\r\nlines', 'three\nlines\nhere'],
      ['last', ''],
    ]);
    expect(records.map((r) => r.line)).toEqual([1, 2, 3, 7]);
  });

  it('keeps empty fields, spaces and a trailing empty field', () => {
    expect(fields(' a ,,c,\r\n')).toEqual([[' a ', '', 'c', '']]);
  });

  it('drops a byte-order mark and skips empty lines', () => {
    expect(fields('\ufeffname\r\n\r\nx\r\n\r\n')).toEqual([['name'], ['x']]);
  });

  it.each([
    ['"never closed\r\nx', 'line 1: a quoted field is never closed'],
    ['a,b"c\r\n', 'line 1: a quote inside an unquoted field'],
    ['a\r\n"x"y,z\r\n', 'line 2: text after the closing quote'],
  ])('refuses %j', (text, message) => {
    expect(() => parseCsv(text)).toThrow(ImportFileError);
    expect(() => parseCsv(text)).toThrow(message);
  });

  it('header keys ignore case, spaces and punctuation', () => {
    expect(headerKey('Resource Name')).toBe('resourcename');
    expect(headerKey('resource_name')).toBe('resourcename');
  });
});

describe("Bulwark's CSV format", () => {
  const header = 'resource_name,resource_type,account_name,password,notes';

  it('maps the documented columns; the password is kept exactly, other values trimmed', () => {
    const [row] = parseBulwarkCsv(`${header}\r\n web-01 ,Linux,root," Sp@ce 1x ","a, b"\r\n`);
    expect(row).toMatchObject({ row: 2, ok: true });
    if (!row?.ok) throw new Error('expected a record');
    expect(row.record.resourceName).toBe('web-01');
    expect(row.record.accountName).toBe('root');
    expect(row.record.password.reveal()).toBe(' Sp@ce 1x ');
    expect(row.record.notes).toBe('a, b');
    expect(String(row.record.password)).toBe('[redacted]');
  });

  it('skips a row with a missing value or the wrong number of fields, naming why', () => {
    const rows = parseBulwarkCsv(`${header}\r\nweb,Linux,root,,\r\nweb,Linux,admin\r\n`);
    expect(rows).toEqual([
      { row: 2, ok: false, resource: 'web', account: 'root', reason: 'missing field: password' },
      {
        row: 3,
        ok: false,
        resource: 'web',
        account: 'admin',
        reason: 'bad row: 3 fields where the header has 5',
      },
    ]);
  });

  it('refuses a header with an unknown, repeated or missing column', () => {
    expect(() => parseBulwarkCsv('resource_name,account_name,password,colour\r\n')).toThrow(
      'column 4 of the header is not one of',
    );
    expect(() => parseBulwarkCsv('resource_name,account_name,password,Password\r\n')).toThrow(
      'column 4 repeats an earlier column',
    );
    expect(() => parseBulwarkCsv('resource_name,account_name\r\nx,y\r\n')).toThrow('has no password column');
    expect(() => parseBulwarkCsv('')).toThrow('the file is empty');
  });

  it('reads back what writeBulwarkCsv wrote (a user export, ADR 051): quotes, commas, line breaks, spaces', () => {
    const record = (over: Partial<ImportRecord>): ImportRecord => ({
      resourceName: 'web-01',
      resourceType: 'Linux',
      dnsName: 'web-01.example.net',
      url: '',
      resourceDescription: 'Front web server, rack 4',
      department: 'Ops "blue"',
      location: 'Paris',
      resourceGroup: '',
      accountName: 'root',
      password: new Secret(' Zq8,"Lm4#xV\r\n '),
      accountDescription: '',
      notes: 'Console via iLO\r\nask ops first',
      ...over,
    });
    const records = [
      record({}),
      record({ accountName: 'deploy', password: new Secret('Hw5!tKp9Rz'), notes: 'line\nbreak' }),
      record({ accountName: 'viewer', password: new Secret('') }),
    ];
    const text = writeBulwarkCsv(records);
    expect(text.split('\r\n')[0]).toBe(
      'resource_name,resource_type,dns_name,resource_url,resource_description,department,location,resource_group,account_name,password,account_description,notes',
    );
    const rows = parseBulwarkCsv(text);
    expect(
      rows.slice(0, 2).map((r) => (r.ok ? { ...r.record, password: r.record.password.reveal() } : r)),
    ).toEqual(records.slice(0, 2).map((r) => ({ ...r, password: r.password.reveal() })));
    // An account exported without its password is read back as a row without one.
    expect(rows[2]).toMatchObject({
      ok: false,
      resource: 'web-01',
      account: 'viewer',
      reason: 'missing field: password',
    });
  });
});

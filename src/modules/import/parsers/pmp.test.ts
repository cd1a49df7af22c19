import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePmpCsv } from './pmp.js';

const fixture = readFileSync(
  new URL('../../../../test/fixtures/import/pmp-resources.csv', import.meta.url),
  'utf8',
);

describe('Password Manager Pro CSV', () => {
  it('reads the resource export: columns by name, unknown columns ignored', () => {
    const rows = parsePmpCsv(fixture);
    expect(rows).toHaveLength(6);
    const first = rows[0]!;
    if (!first.ok) throw new Error('expected a record');
    expect(first.row).toBe(2);
    expect(first.record).toMatchObject({
      resourceName: 'win-dc-01',
      dnsName: 'win-dc-01.corp.example.com',
      resourceDescription: 'Domain controller',
      resourceType: 'Windows',
      accountName: 'Administrator',
      notes: 'Break-glass account',
      department: 'IT',
      location: 'Lyon',
    });
    expect(first.record.password.reveal()).toBe('Wd5%kTq8Ls');
    expect(rows[5]).toEqual({
      row: 7,
      ok: false,
      resource: 'orphan',
      account: '',
      reason: 'missing field: User Account',
    });
  });

  it('accepts other spellings of the columns, in any order', () => {
    const rows = parsePmpCsv(
      'ACCOUNTNAME,PASSWORD,RESOURCENAME,DNS Name / IP Address\r\nroot,Xy7!pQr2Ws,lin-1,10.1.1.1\r\n',
    );
    expect(rows[0]).toMatchObject({
      ok: true,
      record: { resourceName: 'lin-1', accountName: 'root', dnsName: '10.1.1.1' },
    });
  });

  it('refuses a file without the resource name, account or password column', () => {
    expect(() => parsePmpCsv('Resource Name,Password\r\nx,y\r\n')).toThrow('has no User Account column');
  });
});

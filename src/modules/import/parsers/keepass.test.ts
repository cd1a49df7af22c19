import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImportFileError } from '../import.types.js';
import { parseKeepass } from './keepass.js';
import { parseXml } from './xml.js';

const fixture = readFileSync(
  new URL('../../../../test/fixtures/import/keepass.xml', import.meta.url),
  'utf8',
);

describe('KeePass 2 XML', () => {
  it('reads entries of nested groups with their group path; skips the recycle bin and history', () => {
    const rows = parseKeepass(fixture);
    const summary = rows.map((r) =>
      r.ok
        ? [r.record.resourceName, r.record.accountName, r.record.resourceGroup, r.record.password.reveal()]
        : [r.resource, r.account, r.reason],
    );
    expect(summary).toEqual([
      ['mail.example.org', 'oncall@example.org', '', 'Mx4&tR8<qW'],
      ['fw-01', 'admin', 'Network', 'Fw7"pK]x2<Jd'],
      ['core-sw-1', 'netops', 'Network/Switches', 'Sw3@nB6tRy'],
      ['office-wifi', '', 'missing field: UserName'],
    ]);
    const fw = rows[1]!;
    if (!fw.ok) throw new Error('expected a record');
    expect(fw.record.url).toBe('https://fw-01.net.example.org:8443/');
    expect(fw.record.dnsName).toBe('fw-01.net.example.org');
    expect(fw.record.notes).toBe('Firewall management interface.\nChange window: Sunday 02:00–04:00.');
    expect(rows.every((r) => r.row > 1)).toBe(true);
  });

  it('skips an entry whose value is encrypted (Protected="True")', () => {
    const xml = `<KeePassFile><Root><Group><Name>R</Name><Entry><String><Key>Title</Key><Value>t</Value></String><String><Key>UserName</Key><Value>u</Value></String><String><Key>Password</Key><Value Protected="True">AbCd==</Value></String></Entry></Group></Root></KeePassFile>`;
    expect(parseKeepass(xml)).toMatchObject([{ ok: false, reason: expect.stringContaining('protected') }]);
  });

  it.each([
    ['<KeePassFile><Root><Group></Root></KeePassFile>', 'does not match'],
    ['<KeePassFile><Root><Group>', 'never closed'],
    ['<!DOCTYPE x [<!ENTITY a "b">]><KeePassFile/>', 'document type declarations'],
    ['<KeePassFile>&bogus;</KeePassFile>', 'unknown entity'],
    ['<KeePassFile a=1/>', 'without quotes'],
    ['<Other/>', 'not KeePassFile'],
    ['<KeePassFile><Meta/></KeePassFile>', 'no Root/Group'],
    ['', 'no root element'],
  ])('refuses %j', (xml, message) => {
    expect(() => parseKeepass(xml)).toThrow(ImportFileError);
    expect(() => parseKeepass(xml)).toThrow(message);
  });

  it('the XML reader decodes entities, character references and CDATA, and counts lines', () => {
    const root = parseXml(
      '<?xml version="1.0"?>\n<!-- c -->\n<a x="1 &amp; 2">\n<b>&lt;&#65;&#x42;<![CDATA[<&>]]></b></a>',
    );
    expect(root.attributes.get('x')).toBe('1 & 2');
    expect(root.children[0]!.text).toBe('<AB<&>');
    expect(root.children[0]!.line).toBe(4);
  });
});

import { ImportFileError, type ParsedRow } from '../import.types.js';
import { loginEntryRow } from './login-entry.js';
import { child, childrenNamed, parseXml, type XmlElement } from './xml.js';

/**
 * KeePass 2.x's XML export (File » Export » KeePass XML (2.x)): `KeePassFile/Root/Group`, groups
 * nested in groups, each entry's fields as `String` elements (`Key`, `Value`). An entry becomes an
 * account (UserName) of a resource named by its Title, with its URL, Notes and Password; the
 * entry's group path below the database's top group becomes the resource group (`Internet/Email`).
 * The recycle bin's entries and entry history are not imported. A value marked Protected="True"
 * is encrypted by the database's inner stream (a KDBX file's XML, not an export): that entry is
 * skipped.
 */
export function parseKeepass(text: string): ParsedRow[] {
  const document = parseXml(text);
  if (document.name !== 'KeePassFile') {
    throw new ImportFileError('KeePass XML: the root element is not KeePassFile');
  }
  const root = child(document, 'Root');
  const top = root && child(root, 'Group');
  if (top === undefined) throw new ImportFileError('KeePass XML: there is no Root/Group element');
  const meta = child(document, 'Meta');
  const recycleBin = meta && child(meta, 'RecycleBinUUID')?.text.trim();
  const rows: ParsedRow[] = [];
  const visit = (group: XmlElement, path: readonly string[]) => {
    const uuid = child(group, 'UUID')?.text.trim();
    if (recycleBin && recycleBin !== 'AAAAAAAAAAAAAAAAAAAAAA==' && uuid === recycleBin) return;
    for (const entry of childrenNamed(group, 'Entry')) rows.push(entryRow(entry, path));
    for (const sub of childrenNamed(group, 'Group')) {
      const name = child(sub, 'Name')?.text.trim() ?? '';
      visit(sub, name === '' ? path : [...path, name]);
    }
  };
  visit(top, []);
  // In the file's order, whatever the nesting.
  return rows.sort((a, b) => a.row - b.row);
}

function entryRow(entry: XmlElement, path: readonly string[]): ParsedRow {
  const strings = new Map<string, XmlElement>();
  for (const s of childrenNamed(entry, 'String')) {
    const key = child(s, 'Key')?.text;
    const value = child(s, 'Value');
    if (key !== undefined && value !== undefined) strings.set(key, value);
  }
  const plain = (key: string) => strings.get(key)?.text.trim() ?? '';
  const resource = plain('Title');
  const account = plain('UserName');
  const skip = (reason: string): ParsedRow => ({ row: entry.line, ok: false, resource, account, reason });
  if ([...strings.values()].some((v) => /^true$/i.test(v.attributes.get('Protected') ?? ''))) {
    return skip('bad type: a protected (encrypted) value; export the database as KeePass XML (2.x)');
  }
  if (resource === '') return skip('missing field: Title');
  if (account === '') return skip('missing field: UserName');
  const password = strings.get('Password')?.text ?? '';
  if (password === '') return skip('missing field: Password');
  const url = plain('URL');
  return loginEntryRow(entry.line, {
    resource,
    account,
    password,
    url,
    group: path.join('/'),
    notes: plain('Notes'),
  });
}

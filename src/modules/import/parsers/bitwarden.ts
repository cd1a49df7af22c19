import { ImportFileError, type ParsedRow } from '../import.types.js';
import { loginEntryRow } from './login-entry.js';

/** Bitwarden's item types (`type` of an item). */
const ITEM_TYPES: Readonly<Record<number, string>> = {
  1: 'login',
  2: 'secure note',
  3: 'card',
  4: 'identity',
  5: 'SSH key',
};

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Bitwarden's unencrypted JSON export (`{"encrypted":false,"folders":[…],"items":[…]}`): each
 * login item becomes an account (`login.username`) of a resource named by the item's name, with
 * the first URI as its URL (and its host as the DNS name), the item's notes, and its folder as the
 * resource group. Other item types are skipped, named. An encrypted export is refused: export
 * again as JSON, not "JSON (Encrypted)". Rows are numbered by item, from 1.
 */
export function parseBitwarden(content: string): ParsedRow[] {
  let document: unknown;
  try {
    document = JSON.parse(content.charCodeAt(0) === 0xfeff ? content.slice(1) : content);
  } catch {
    throw new ImportFileError('Bitwarden JSON: the file is not JSON');
  }
  if (!isObject(document) || !Array.isArray(document.items)) {
    throw new ImportFileError('Bitwarden JSON: the file has no "items" list');
  }
  if (document.encrypted === true) {
    throw new ImportFileError(
      'Bitwarden JSON: the export is encrypted; export the vault again as unencrypted JSON',
    );
  }
  const folders = new Map<string, string>();
  if (document.folders !== undefined) {
    if (!Array.isArray(document.folders))
      throw new ImportFileError('Bitwarden JSON: "folders" is not a list');
    for (const folder of document.folders) {
      if (isObject(folder) && typeof folder.id === 'string') folders.set(folder.id, text(folder.name).trim());
    }
  }
  return document.items.map((item, index): ParsedRow => {
    const row = index + 1;
    if (!isObject(item))
      return { row, ok: false, resource: '', account: '', reason: 'bad type: not an item' };
    const resource = text(item.name).trim();
    const login = isObject(item.login) ? item.login : undefined;
    const account = text(login?.username).trim();
    const skip = (reason: string): ParsedRow => ({ row, ok: false, resource, account, reason });
    if (item.type !== 1) {
      const kind = typeof item.type === 'number' ? ITEM_TYPES[item.type] : undefined;
      return skip(`bad type: a ${kind ?? 'non-login'} item, not a login`);
    }
    if (login === undefined) return skip('missing field: login');
    if (resource === '') return skip('missing field: name');
    if (account === '') return skip('missing field: login.username');
    const password = text(login.password);
    if (password === '') return skip('missing field: login.password');
    const uris = Array.isArray(login.uris) ? login.uris : [];
    const url = text(isObject(uris[0]) ? uris[0].uri : undefined).trim();
    const folder = typeof item.folderId === 'string' ? (folders.get(item.folderId) ?? '') : '';
    return loginEntryRow(row, {
      resource,
      account,
      password,
      url,
      group: folder,
      notes: text(item.notes).trim(),
    });
  });
}

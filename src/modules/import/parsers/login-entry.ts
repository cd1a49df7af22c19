import { Secret } from '../../../platform/crypto/secret.js';
import type { ParsedRow } from '../import.types.js';

/**
 * A password manager's login entry (KeePass, Bitwarden) as an imported row: a resource named by
 * the entry, its host from the URL, the entry's folder or group path as its resource group, and
 * an account with the password and notes. Such formats carry no type, department or location.
 */
export function loginEntryRow(
  row: number,
  entry: {
    readonly resource: string;
    readonly account: string;
    readonly password: string;
    readonly url: string;
    readonly group: string;
    readonly notes: string;
  },
): ParsedRow {
  return {
    row,
    ok: true,
    record: {
      resourceName: entry.resource,
      resourceType: '',
      dnsName: hostOf(entry.url),
      url: entry.url,
      resourceDescription: '',
      department: '',
      location: '',
      resourceGroup: entry.group,
      accountName: entry.account,
      password: new Secret(entry.password),
      accountDescription: '',
      notes: entry.notes,
    },
  };
}

/** The host name of a URL, or '' when it is not one. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

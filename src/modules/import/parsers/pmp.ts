import type { ParsedRow } from '../import.types.js';
import { headerKey } from './csv.js';
import { readTable, type RecordField, type TableFormat } from './table.js';

/**
 * Password Manager Pro's resource export as CSV (Resources » Export, and the layout its CSV
 * import reads): a header line, then one line per account with its resource's details. Columns
 * are matched by name whatever their order, case and spacing; the spellings PMP versions use are
 * all accepted; other columns (last accessed time, additional fields) are ignored.
 */
const COLUMNS: readonly (readonly [RecordField, readonly string[]])[] = [
  ['resourceName', ['Resource Name', 'RESOURCENAME', 'Resource']],
  ['dnsName', ['DNS Name', 'DNS Name / IP Address', 'DNSNAME', 'IP Address', 'Resource DNS Name']],
  ['resourceDescription', ['Description', 'Resource Description', 'RESOURCEDESCRIPTION']],
  ['resourceType', ['Resource Type', 'RESOURCETYPE', 'OS Type']],
  ['accountName', ['User Account', 'Account Name', 'ACCOUNTNAME', 'User Name', 'Login Name']],
  ['password', ['Password', 'User Account Password', 'PASSWORD', 'Account Password']],
  ['notes', ['Notes', 'NOTES', 'Account Notes']],
  ['accountDescription', ['Account Description', 'ACCOUNTDESCRIPTION']],
  ['department', ['Department', 'DEPARTMENT']],
  ['location', ['Location', 'LOCATION']],
  ['url', ['Resource URL', 'RESOURCEURL', 'URL']],
  ['resourceGroup', ['Resource Group', 'Resource Group Name', 'RESOURCEGROUPNAME', 'Group Name']],
];

const FORMAT: TableFormat = {
  name: 'Password Manager Pro CSV',
  columns: new Map(COLUMNS.flatMap(([field, names]) => names.map((n) => [headerKey(n), field] as const))),
  required: ['resourceName', 'accountName', 'password'],
  strict: false,
  documented: COLUMNS.map(([, names]) => names[0]!),
};

export function parsePmpCsv(text: string): ParsedRow[] {
  return readTable(text, FORMAT);
}

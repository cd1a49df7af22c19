import type { ParsedRow } from '../import.types.js';
import { CSV_COLUMNS, headerKey } from './csv.js';
import { readTable, type RecordField, type TableFormat } from './table.js';

const FORMAT: TableFormat = {
  name: 'CSV',
  columns: new Map<string, RecordField>(CSV_COLUMNS.map(([name, field]) => [headerKey(name), field])),
  required: ['resourceName', 'accountName', 'password'],
  strict: true,
  documented: CSV_COLUMNS.map(([name]) => name),
};

/** Bulwark's CSV format: a header naming the documented columns (any order, any subset with the required three). */
export function parseBulwarkCsv(text: string): ParsedRow[] {
  return readTable(text, FORMAT);
}

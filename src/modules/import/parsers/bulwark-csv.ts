import type { ImportRecord, ParsedRow } from '../import.types.js';
import { CSV_COLUMNS, formatCsvRecord, headerKey } from './csv.js';
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

/**
 * Records as Bulwark's CSV, every documented column in order: what `parseBulwarkCsv` reads back
 * into the same records (a user's export, ADR 051). Values are written as they are; the reader
 * trims all but the password, so only surrounding spaces of other fields do not survive.
 */
export function writeBulwarkCsv(records: Iterable<ImportRecord>): string {
  let text = formatCsvRecord(CSV_COLUMNS.map(([name]) => name));
  for (const record of records) {
    text += formatCsvRecord(
      CSV_COLUMNS.map(([, field]) => (field === 'password' ? record.password.reveal() : record[field])),
    );
  }
  return text;
}

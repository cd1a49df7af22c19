import { ImportFileError } from '../import.types.js';

/** One CSV record and the line of the file it starts on (1-based). */
export interface CsvRecord {
  readonly line: number;
  readonly fields: readonly string[];
}

/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF (a lone LF or CR also ends one),
 * fields in double quotes may hold commas, line breaks and doubled quotes (`""` is one `"`).
 * A byte-order mark at the start is dropped; empty lines are skipped. A quote inside an unquoted
 * field, text after a closing quote, or a quoted field never closed refuse the whole file
 * (`ImportFileError`, naming the line, never quoting the field).
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let atRecordEnd = false;
    while (!atRecordEnd) {
      if (text[i] === '"') {
        // A quoted field: up to the closing quote that is not doubled.
        i++;
        for (;;) {
          if (i >= n) throw new ImportFileError(`CSV line ${start}: a quoted field is never closed`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n' || (c === '\r' && text[i + 1] !== '\n')) line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
          throw new ImportFileError(`CSV line ${line}: text after the closing quote of a field`);
        }
      } else {
        while (i < n) {
          const c = text[i]!;
          if (c === ',' || c === '\n' || c === '\r') break;
          if (c === '"') throw new ImportFileError(`CSV line ${line}: a quote inside an unquoted field`);
          field += c;
          i++;
        }
      }
      fields.push(field);
      field = '';
      const c = text[i];
      if (c === ',') {
        i++;
        continue;
      }
      // End of the record: CRLF, LF, CR, or the end of the text.
      if (c === '\r') i += text[i + 1] === '\n' ? 2 : 1;
      else if (c === '\n') i++;
      if (c !== undefined) line++;
      atRecordEnd = true;
    }
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: start, fields });
  }
  return records;
}

/** A header's canonical form: letters and digits only, lower case (`Resource Name` → `resourcename`). */
export function headerKey(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The columns of Bulwark's own CSV format (docs/import.md), in the documented order. */
export const CSV_COLUMNS = [
  ['resource_name', 'resourceName'],
  ['resource_type', 'resourceType'],
  ['dns_name', 'dnsName'],
  ['resource_url', 'url'],
  ['resource_description', 'resourceDescription'],
  ['department', 'department'],
  ['location', 'location'],
  ['resource_group', 'resourceGroup'],
  ['account_name', 'accountName'],
  ['password', 'password'],
  ['account_description', 'accountDescription'],
  ['notes', 'notes'],
] as const;

/**
 * One CSV record as `parseCsv` reads it back: a field holding a comma, a quote or a line break
 * is quoted (quotes doubled); the others are written as they are. Records end with CRLF.
 */
export function formatCsvRecord(fields: readonly string[]): string {
  return `${fields.map((f) => (/[",\r\n]/.test(f) ? `"${f.replaceAll('"', '""')}"` : f)).join(',')}\r\n`;
}

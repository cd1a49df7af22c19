import { Secret } from '../../../platform/crypto/secret.js';
import { ImportFileError, type ImportRecord, type ParsedRow } from '../import.types.js';
import { headerKey, parseCsv } from './csv.js';

/** The fields of a record a CSV column can fill. */
export type RecordField = Exclude<keyof ImportRecord, 'password'> | 'password';

export interface TableFormat {
  /** Shown in messages: `CSV`, `Password Manager Pro CSV`. */
  readonly name: string;
  /** Header spellings (by {@link headerKey}) → the field they fill. */
  readonly columns: ReadonlyMap<string, RecordField>;
  /** Fields whose column must be in the header. */
  readonly required: readonly RecordField[];
  /** Whether a column the format does not know refuses the file (else it is ignored). */
  readonly strict: boolean;
  /** The column names to list when one is missing or unknown. */
  readonly documented: readonly string[];
}

/**
 * A CSV file with a header line, read into rows by `format`. The header is checked first (a
 * missing required column, an unknown or repeated one refuse the file); then each line is a
 * row, a line with the wrong number of fields or without a required value a skipped row.
 */
export function readTable(text: string, format: TableFormat): ParsedRow[] {
  const [header, ...lines] = parseCsv(text);
  if (header === undefined) throw new ImportFileError(`${format.name}: the file is empty`);
  const fieldAt: (RecordField | undefined)[] = [];
  const seen = new Set<RecordField>();
  header.fields.forEach((name, index) => {
    const field = format.columns.get(headerKey(name));
    if (field === undefined && format.strict) {
      throw new ImportFileError(
        `${format.name}: column ${index + 1} of the header is not one of ${format.documented.join(', ')}`,
      );
    }
    if (field !== undefined && seen.has(field)) {
      throw new ImportFileError(`${format.name}: column ${index + 1} repeats an earlier column`);
    }
    if (field !== undefined) seen.add(field);
    fieldAt.push(field);
  });
  const missing = format.required.filter((f) => !seen.has(f));
  if (missing.length > 0) {
    throw new ImportFileError(
      `${format.name}: the header line has no ${missing.map((f) => documentedName(format, f)).join(', ')} column`,
    );
  }
  return lines.map(({ line, fields }): ParsedRow => {
    const values = new Map<RecordField, string>();
    fields.forEach((value, index) => {
      const field = fieldAt[index];
      if (field !== undefined) values.set(field, value);
    });
    const text = (field: RecordField) => (field === 'password' ? '' : (values.get(field) ?? '').trim());
    const resource = text('resourceName');
    const account = text('accountName');
    if (fields.length !== header.fields.length) {
      return {
        row: line,
        ok: false,
        resource,
        account,
        reason: `bad row: ${fields.length} fields where the header has ${header.fields.length}`,
      };
    }
    const empty = format.required.find((f) => (f === 'password' ? (values.get(f) ?? '') : text(f)) === '');
    if (empty !== undefined) {
      return {
        row: line,
        ok: false,
        resource,
        account,
        reason: `missing field: ${documentedName(format, empty)}`,
      };
    }
    return {
      row: line,
      ok: true,
      record: {
        resourceName: resource,
        resourceType: text('resourceType'),
        dnsName: text('dnsName'),
        url: text('url'),
        resourceDescription: text('resourceDescription'),
        department: text('department'),
        location: text('location'),
        resourceGroup: text('resourceGroup'),
        accountName: account,
        // The password exactly as in the file: spaces may be part of it.
        password: new Secret(values.get('password') ?? ''),
        accountDescription: text('accountDescription'),
        notes: text('notes'),
      },
    };
  });
}

function documentedName(format: TableFormat, field: RecordField): string {
  for (const name of format.documented) if (format.columns.get(headerKey(name)) === field) return name;
  return field;
}

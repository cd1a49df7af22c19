import Busboy from 'busboy';
import type { Readable } from 'node:stream';
import {
  DomainError,
  FieldTooLongError,
  InvalidInputError,
  PayloadTooLargeError,
  UnreadableInputError,
} from '../platform/errors.js';
import { RESULT_CODES } from '../platform/result-codes.js';
import { parseFormLike, type FormField } from './form.js';
import { LenientJsonError, parseLenientJson, type JsonValue } from './lenient-json.js';
import { FieldReader, rejectNul } from './field-reader.js';

export interface UploadedFile {
  readonly fieldName: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly content: Buffer;
}

export interface RawRequest {
  /** The request target as sent (path and query, undecoded). */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: Buffer;
}

export interface InputLimits {
  readonly maxFileBytes: number;
}

/**
 * Everything a PMP client sent besides the path: query and form parameters (names matched
 * case-insensitively), the INPUT_DATA document in whichever of its shapes it arrived, and
 * uploaded files. Built once per request by {@link readRequestInput}.
 */
export class PmpInput {
  readonly #params: Map<string, string>;
  readonly #inputData: JsonValue | undefined;
  readonly files: readonly UploadedFile[];
  /**
   * Why the INPUT_DATA or the body could not be read, if it could not. Parameters that were
   * readable (the token in the query, say) stay available, so the caller is still
   * authenticated before being told what is wrong with the input.
   */
  readonly failure: DomainError | undefined;
  #details: FieldReader | undefined;

  constructor(
    params: Map<string, string>,
    inputData: JsonValue | undefined,
    files: UploadedFile[],
    failure: DomainError | undefined,
  ) {
    this.#params = params;
    this.#inputData = inputData;
    this.files = files;
    this.failure = failure;
  }

  /** A query-string or form parameter (not INPUT_DATA), by case-insensitive name. */
  param(name: string): string | undefined {
    const value = this.#params.get(name.toLowerCase());
    if (value !== undefined) rejectNul(value, name);
    return value;
  }

  /**
   * A value that the documents pass as a query parameter but some clients put in
   * INPUT_DATA (or the reverse): the query/form parameter if present, else the Details field.
   */
  value(name: string, maxLength = 1000): string | undefined {
    const fromParams = this.param(name);
    if (fromParams !== undefined) {
      const trimmed = fromParams.trim();
      if (trimmed.length > maxLength) throw new FieldTooLongError(name, maxLength);
      return trimmed;
    }
    return this.details().string(name, { maxLength });
  }

  get hasInputData(): boolean {
    return this.#inputData !== undefined;
  }

  /**
   * `operation.Details` of INPUT_DATA. Clients also send `{"Details":{…}}` or the fields at top
   * level; all three are accepted. Missing INPUT_DATA reads as an empty object.
   */
  details(): FieldReader {
    if (this.failure) throw this.failure;
    this.#details ??= FieldReader.root(locateDetails(this.#inputData));
    return this.#details;
  }

  /** The uploaded file: the part named `file` (any case), else the only file sent. */
  file(): UploadedFile | undefined {
    return (
      this.files.find((f) => f.fieldName.toLowerCase() === 'file') ??
      (this.files.length === 1 ? this.files[0] : undefined)
    );
  }
}

function locateDetails(data: JsonValue | undefined): Record<string, JsonValue> | undefined {
  if (data === undefined || data === null) return undefined;
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidInputError('INPUT_DATA must be a JSON object such as {"operation":{"Details":{…}}}');
  }
  const operation = getCaseInsensitive(data, 'operation');
  const holder = operation !== undefined ? operation : data;
  if (holder === null || typeof holder !== 'object' || Array.isArray(holder)) {
    throw new InvalidInputError('INPUT_DATA.operation must be an object holding "Details"');
  }
  const details = getCaseInsensitive(holder, 'details');
  if (details === undefined) return operation !== undefined ? undefined : holder;
  if (details === null) return undefined;
  if (typeof details !== 'object' || Array.isArray(details)) {
    throw new InvalidInputError('INPUT_DATA.operation.Details must be an object');
  }
  return details;
}

function getCaseInsensitive(obj: Record<string, JsonValue>, name: string): JsonValue | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  const wanted = name.toLowerCase();
  for (const key of Object.keys(obj)) if (key.toLowerCase() === wanted) return obj[key];
  return undefined;
}

export async function readRequestInput(raw: RawRequest, limits: InputLimits): Promise<PmpInput> {
  const params = new Map<string, string>();
  let inputData: JsonValue | undefined;
  const files: UploadedFile[] = [];
  let failure: DomainError | undefined;

  const absorb = (fields: FormField[]) => {
    for (const field of fields) {
      const key = field.name.toLowerCase();
      if (key === 'input_data') {
        try {
          const parsed = typeof field.value === 'string' ? parseInputDataText(field.value) : field.value.json;
          if (parsed !== undefined) assertValidUnicode(parsed, 'INPUT_DATA');
          if (parsed !== undefined) inputData = parsed; // a later source (the body) wins
        } catch (err) {
          if (!(err instanceof DomainError)) throw err;
          failure ??= err;
        }
      } else if (typeof field.value === 'string') {
        params.set(key, field.value);
      }
    }
  };

  const queryAt = raw.url.indexOf('?');
  if (queryAt !== -1) absorb(parseFormLike(raw.url.slice(queryAt + 1)));
  try {
    await readBodyInto(raw, limits, absorb, files);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    failure ??= err;
  }
  return new PmpInput(params, inputData, files, failure);
}

async function readBodyInto(
  raw: RawRequest,
  limits: InputLimits,
  absorb: (fields: FormField[]) => void,
  files: UploadedFile[],
): Promise<void> {
  if (raw.body.length > 0) {
    const contentType = (raw.contentType ?? '').toLowerCase();
    if (contentType.startsWith('multipart/form-data') && contentType.includes('boundary=')) {
      const multipart = await readMultipart(raw.body, raw.contentType!, limits);
      absorb(multipart.fields);
      files.push(...multipart.files);
    } else {
      const text = stripBom(decodeBodyText(raw.body)).trim();
      if (text.startsWith('{') || text.startsWith('[')) {
        // The whole body is the INPUT_DATA document (application/json clients).
        absorb([{ name: 'INPUT_DATA', value: { json: parseJsonOrFail(text) } }]);
      } else {
        absorb(parseFormLike(text));
      }
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
// Control characters other than tab, CR and LF never occur in JSON or form text.
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/;

/** A non-multipart body must be text: INPUT_DATA or form fields. Binary junk is refused, not ignored. */
function decodeBodyText(body: Buffer): string {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw new UnreadableInputError(
      'the request body is not UTF-8 text; send INPUT_DATA as JSON or form fields',
    );
  }
  if (BINARY.test(text)) {
    throw new InvalidInputError(
      'the request body holds control characters; send INPUT_DATA as JSON or form fields',
    );
  }
  return text;
}

/** An unpaired UTF-16 surrogate: what a `\\ud800` escape yields; no UTF-8 text can hold it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * INPUT_DATA must be valid Unicode, keys and values: a lone surrogate (`"\\ud800"`) cannot be
 * stored as UTF-8 or hashed the same way twice, and means nothing. Refused, naming where.
 */
export function assertValidUnicode(value: JsonValue, path: string): void {
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) {
      throw new UnreadableInputError(
        `${path} is not valid Unicode text (it holds a lone surrogate such as \\ud800); send UTF-8 text`,
      );
    }
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    value.forEach((item, index) => assertValidUnicode(item, `${path}[${index}]`));
    return;
  }
  for (const key of Object.keys(value)) {
    if (LONE_SURROGATE.test(key)) {
      throw new UnreadableInputError(
        `a field name in ${path} is not valid Unicode text (it holds a lone surrogate such as \\ud800)`,
      );
    }
    assertValidUnicode(value[key]!, `${path}.${key.slice(0, 60)}`);
  }
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseInputDataText(text: string): JsonValue | undefined {
  const trimmed = stripBom(text).trim();
  if (trimmed === '') return undefined;
  return parseJsonOrFail(trimmed);
}

function parseJsonOrFail(text: string): JsonValue {
  try {
    return parseLenientJson(text);
  } catch (err) {
    if (err instanceof LenientJsonError) {
      throw new InvalidInputError(
        `INPUT_DATA is not valid JSON: ${err.message}`,
        RESULT_CODES.invalidJson.code,
      );
    }
    throw err;
  }
}

interface MultipartContent {
  fields: FormField[];
  files: UploadedFile[];
}

function readMultipart(body: Buffer, contentType: string, limits: InputLimits): Promise<MultipartContent> {
  return new Promise((resolve, reject) => {
    // Busboy reports trouble on the parser and on each file stream, sometimes on both; the
    // first one decides, and every one is handled (an unhandled 'error' would end the process).
    let settled = false;
    const fail = (err: DomainError) => {
      if (settled) return;
      settled = true;
      reject(err);
    };
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({
        headers: { 'content-type': contentType },
        // Busboy signals 'limit' when a file *reaches* fileSize, so allow one byte more: a file
        // of exactly maxFileBytes is accepted, one byte over is refused.
        limits: { fileSize: limits.maxFileBytes + 1, files: 20, fields: 100, fieldSize: MAX_FIELD_BYTES },
        defParamCharset: 'utf8',
      });
    } catch {
      reject(new UnreadableInputError('the multipart/form-data body cannot be read: malformed Content-Type'));
      return;
    }
    const fields: FormField[] = [];
    const files: UploadedFile[] = [];
    const openFiles = new Set<Readable>();
    let failure: DomainError | undefined;
    const malformed = (err: unknown) =>
      fail(
        new UnreadableInputError(
          `the multipart/form-data body cannot be read: ${err instanceof Error ? err.message : 'it is malformed'}`,
        ),
      );
    // Busboy decodes text leniently (bad bytes become U+FFFD); a U+FFFD the body did not hold
    // was such a byte, and text that is not UTF-8 is refused as in any other body.
    let replacementInBody: boolean | undefined;
    const checkText = (text: string, what: string) => {
      if (!text.includes('\ufffd')) return;
      replacementInBody ??= body.includes(REPLACEMENT_UTF8);
      if (!replacementInBody) failure ??= new UnreadableInputError(`${what} is not UTF-8 text`);
    };
    parser.on('field', (name, value, info) => {
      if (info.nameTruncated || info.valueTruncated) {
        failure ??= new PayloadTooLargeError(
          `the form field "${name.slice(0, 60)}" is larger than the limit of ${MAX_FIELD_BYTES} bytes`,
        );
        return;
      }
      checkText(name, 'a form field name');
      checkText(value, `the form field "${name.slice(0, 60)}"`);
      fields.push({ name, value });
    });
    parser.on('file', (fieldName, stream, info) => {
      const chunks: Buffer[] = [];
      openFiles.add(stream);
      checkText(fieldName, 'a form field name');
      checkText(info.filename ?? '', 'the name of an uploaded file');
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failure ??= new PayloadTooLargeError(
          `the uploaded file "${info.filename}" is larger than the limit of ${limits.maxFileBytes} bytes`,
        );
      });
      // "Unexpected end of file" when the body ends inside the file (issue 11, hole 1).
      stream.on('error', malformed);
      // Busboy finishes only after every file's 'end' handlers ran, so the file is in `files` then.
      stream.on('end', () => {
        openFiles.delete(stream);
        files.push({
          fieldName,
          fileName: info.filename ?? fieldName,
          contentType: info.mimeType || 'application/octet-stream',
          content: Buffer.concat(chunks),
        });
      });
    });
    parser.on('error', malformed);
    parser.on('close', () => {
      if (failure) fail(failure);
      else if (openFiles.size > 0) malformed(undefined);
      else if (!settled) {
        settled = true;
        resolve({ fields, files });
      }
    });
    try {
      parser.end(body);
    } catch (err) {
      malformed(err);
    }
  });
}

const MAX_FIELD_BYTES = 4 * 1024 * 1024;
const REPLACEMENT_UTF8 = Buffer.from('\ufffd', 'utf8');

import { describe, it, expect } from 'vitest';
import {
  FieldTooLongError,
  InvalidInputError,
  PayloadTooLargeError,
  UnreadableInputError,
} from '../platform/errors.js';
import { readRequestInput, type PmpInput, type RawRequest } from './input.js';

const LIMITS = { maxFileBytes: 1024 * 1024 };

/** A password holding everything that breaks naive decoders. */
const PASSWORD = `P@ss+w&o%rd=1'"x%20y%2B é日本😀\\z`;
const DOC = { operation: { Details: { RESOURCENAME: 'web server 01', ACCOUNTNAME: 'root', PASSWORD } } };
const JSON_DOC = JSON.stringify(DOC);

/** Python's urllib.parse.quote_plus (what `requests` does to form data): spaces as `+`. */
function quotePlus(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** curl --data-urlencode: everything but unreserved characters is %-encoded, spaces as %20. */
function curlEncode(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Python 3 repr() of a str. */
function pyReprString(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\');
  if (text.includes("'") && !text.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Python 3 repr() of a dict of dicts of strings, as `str(d)` produces it. */
function pyRepr(value: unknown): string {
  if (typeof value === 'string') return pyReprString(value);
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (value === null) return 'None';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{${entries.map(([k, v]) => `${pyReprString(k)}: ${pyRepr(v)}`).join(', ')}}`;
}

function req(url: string, body?: string | Buffer, contentType?: string): RawRequest {
  return {
    url,
    contentType,
    body: body === undefined ? Buffer.alloc(0) : typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

interface Part {
  name: string;
  data: string | Buffer;
  filename?: string;
  contentType?: string;
}

/** Builds a multipart/form-data body by hand. */
function multipart(boundary: string, parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"`;
    if (part.filename !== undefined) head += `; filename="${part.filename}"`;
    head += '\r\n';
    if (part.contentType !== undefined) head += `Content-Type: ${part.contentType}\r\n`;
    head += '\r\n';
    chunks.push(Buffer.from(head, 'utf8'));
    chunks.push(typeof part.data === 'string' ? Buffer.from(part.data, 'utf8') : part.data);
    chunks.push(Buffer.from('\r\n', 'utf8'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`, 'utf8'));
  return Buffer.concat(chunks);
}

/** Every byte value, plus sequences that look like the start of a boundary. */
function binaryContent(boundary: string): Buffer {
  const all = Buffer.alloc(256 * 4);
  for (let i = 0; i < all.length; i++) all[i] = i % 256;
  return Buffer.concat([
    all,
    Buffer.from(`\r\n--${boundary.slice(0, -1)}X\r\n--\r\n\r\n`, 'latin1'),
    Buffer.from([0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x2d, 0x2d]),
    all.reverse(),
  ]);
}

async function read(raw: RawRequest, limits = LIMITS): Promise<PmpInput> {
  return readRequestInput(raw, limits);
}

function passwordOf(input: PmpInput): string | undefined {
  expect(input.failure).toBeUndefined();
  return input.details().secret('PASSWORD')?.reveal();
}

describe('readRequestInput: every INPUT_DATA shape carries the password intact', () => {
  const B = '----BulwarkBoundary7MA4YWxkTrZu0gW';
  const shapes: [string, RawRequest][] = [
    [
      'query string, encodeURIComponent (GET)',
      req(`/api/x?AUTHTOKEN=t&INPUT_DATA=${encodeURIComponent(JSON_DOC)}`),
    ],
    [
      'query string, quote_plus (GET)',
      req(`/api/x?INPUT_DATA=${quotePlus(JSON.stringify(DOC, null, 1))}&AUTHTOKEN=t`),
    ],
    [
      'urlencoded body, application/x-www-form-urlencoded',
      req('/api/x', `INPUT_DATA=${curlEncode(JSON_DOC)}`, 'application/x-www-form-urlencoded'),
    ],
    [
      'urlencoded body, application/x-www-form-urlencoded; charset=UTF-8, spaces as +',
      req(
        '/api/x',
        `INPUT_DATA=${quotePlus(JSON.stringify(DOC, null, 2))}`,
        'application/x-www-form-urlencoded; charset=UTF-8',
      ),
    ],
    [
      'urlencoded body labelled text/json (curl --data-urlencode)',
      req('/api/x', `INPUT_DATA=${curlEncode(JSON_DOC)}`, 'text/json'),
    ],
    [
      'urlencoded body labelled text/json (Python requests)',
      req('/api/x', `INPUT_DATA=${quotePlus(JSON_DOC)}`, 'text/json'),
    ],
    ['urlencoded body without Content-Type', req('/api/x', `INPUT_DATA=${quotePlus(JSON_DOC)}`)],
    [
      'urlencoded body labelled application/json',
      req('/api/x', `INPUT_DATA=${curlEncode(JSON_DOC)}`, 'application/json'),
    ],
    ['raw body INPUT_DATA={...}, text/json', req('/api/x', `INPUT_DATA=${JSON_DOC}`, 'text/json')],
    [
      'raw body INPUT_DATA={...}, application/json',
      req('/api/x', `INPUT_DATA=${JSON_DOC}`, 'application/json'),
    ],
    ['raw body INPUT_DATA={...}, no Content-Type', req('/api/x', `INPUT_DATA=${JSON_DOC}`)],
    [
      'raw body INPUT_DATA={...}, mislabelled application/x-www-form-urlencoded',
      req('/api/x', `INPUT_DATA=${JSON_DOC}`, 'application/x-www-form-urlencoded'),
    ],
    [
      'raw body INPUT_DATA={...}&AUTHTOKEN=t',
      req('/api/x', `INPUT_DATA=${JSON_DOC}&AUTHTOKEN=t`, 'text/json'),
    ],
    ['raw query INPUT_DATA={...} (curl -g)', req(`/api/x?INPUT_DATA=${JSON_DOC}`)],
    ['body that is just the JSON document, application/json', req('/api/x', JSON_DOC, 'application/json')],
    ['body that is just the JSON document, no Content-Type', req('/api/x', JSON_DOC)],
    [
      'body that is just the JSON document, pretty-printed with a BOM',
      req('/api/x', `\ufeff\n${JSON.stringify(DOC, null, 2)}\n`, 'text/json'),
    ],
    [
      'GET with a urlencoded body (curl -X GET --data-urlencode)',
      req('/api/x?AUTHTOKEN=t', `INPUT_DATA=${curlEncode(JSON_DOC)}`),
    ],
    ['GET with a raw body', req('/api/x?AUTHTOKEN=t', `INPUT_DATA=${JSON_DOC}`)],
    ['raw single-quoted pseudo-JSON (Python repr)', req('/api/x', `INPUT_DATA=${pyRepr(DOC)}`, 'text/json')],
    [
      'url-encoded single-quoted pseudo-JSON (requests data={"INPUT_DATA": str(d)})',
      req('/api/x', `INPUT_DATA=${quotePlus(pyRepr(DOC))}`),
    ],
    ['single-quoted pseudo-JSON in the query', req(`/api/x?INPUT_DATA=${encodeURIComponent(pyRepr(DOC))}`)],
    ['body that is just a Python repr document', req('/api/x', pyRepr(DOC), 'application/json')],
    [
      'multipart/form-data INPUT_DATA field',
      req(
        '/api/x',
        multipart(B, [{ name: 'INPUT_DATA', data: JSON_DOC }]),
        `multipart/form-data; boundary=${B}`,
      ),
    ],
    [
      'multipart/form-data INPUT_DATA field with a Content-Type and a file',
      req(
        '/api/x',
        multipart(B, [
          { name: 'INPUT_DATA', data: JSON_DOC, contentType: 'text/plain; charset=utf-8' },
          { name: 'file', data: 'abc', filename: 'a.txt', contentType: 'text/plain' },
        ]),
        `multipart/form-data; boundary="${B}"`,
      ),
    ],
    [
      'multipart/form-data with a Python repr INPUT_DATA',
      req(
        '/api/x',
        multipart(B, [{ name: 'INPUT_DATA', data: pyRepr(DOC) }]),
        `multipart/form-data; boundary=${B}`,
      ),
    ],
  ];

  it.each(shapes)('%s', async (_name, raw) => {
    const input = await read(raw);
    expect(input.failure).toBeUndefined();
    expect(input.hasInputData).toBe(true);
    expect(passwordOf(input)).toBe(PASSWORD);
    expect(input.details().string('RESOURCENAME')).toBe('web server 01');
    expect(input.details().string('ACCOUNTNAME')).toBe('root');
  });

  it('reads a query serialised by a WHATWG URL (fetch with a literal JSON URL: braces kept, quotes as %22)', async () => {
    // No + % & in it: a URL cannot tell those from form syntax, whoever parses it.
    const password = `P@ss' é日本😀"x\\y`;
    const url = new URL(
      `https://vault.example/restapi/json/v1/resources?INPUT_DATA=${JSON.stringify({ operation: { Details: { PASSWORD: password } } })}`,
    );
    const input = await read(req(url.pathname + url.search));
    expect(passwordOf(input)).toBe(password);
  });
});

describe('readRequestInput: query parameters', () => {
  it('reads query parameters case-insensitively and form-decodes them', async () => {
    const input = await read(
      req('/api/x?AUTHTOKEN=abc%2Bdef&RESOURCENAME=web+server&ACCOUNTNAME=my%20acct&flag'),
    );
    expect(input.param('AUTHTOKEN')).toBe('abc+def');
    expect(input.param('authtoken')).toBe('abc+def');
    expect(input.param('AuthToken')).toBe('abc+def');
    expect(input.param('resourcename')).toBe('web server');
    expect(input.param('ACCOUNTNAME')).toBe('my acct');
    expect(input.param('flag')).toBe('');
    expect(input.param('missing')).toBeUndefined();
    expect(input.hasInputData).toBe(false);
  });

  it('does not expose INPUT_DATA as a parameter', async () => {
    const input = await read(req(`/api/x?INPUT_DATA=${encodeURIComponent(JSON_DOC)}`));
    expect(input.param('INPUT_DATA')).toBeUndefined();
  });

  it('reads form fields of a urlencoded body as parameters too', async () => {
    const input = await read(
      req('/api/x', `AUTHTOKEN=tok&INPUT_DATA=${quotePlus(JSON_DOC)}`, 'application/x-www-form-urlencoded'),
    );
    expect(input.param('authtoken')).toBe('tok');
    expect(passwordOf(input)).toBe(PASSWORD);
  });

  it('handles a url without a query and an empty body', async () => {
    const input = await read(req('/api/x'));
    expect(input.failure).toBeUndefined();
    expect(input.hasInputData).toBe(false);
    expect(input.details().string('RESOURCENAME')).toBeUndefined();
    expect(input.details().has('RESOURCENAME')).toBe(false);
    expect(input.files).toEqual([]);
    expect(input.file()).toBeUndefined();
  });

  it('treats an empty INPUT_DATA as absent', async () => {
    const input = await read(req('/api/x?INPUT_DATA=&AUTHTOKEN=t', 'INPUT_DATA=+'));
    expect(input.failure).toBeUndefined();
    expect(input.hasInputData).toBe(false);
  });
});

describe('readRequestInput: where Details is found', () => {
  const cases: [string, string][] = [
    ['operation.Details', '{"operation":{"Details":{"RESOURCENAME":"r1"}}}'],
    ['operation.details (lower case)', '{"operation":{"details":{"RESOURCENAME":"r1"}}}'],
    ['OPERATION.DETAILS (upper case)', '{"OPERATION":{"DETAILS":{"RESOURCENAME":"r1"}}}'],
    ['Details without operation', '{"Details":{"RESOURCENAME":"r1"}}'],
    ['details without operation', '{"details":{"resourcename":"r1"}}'],
    ['flat top-level fields', '{"RESOURCENAME":"r1"}'],
    ['lower-case field names', '{"operation":{"Details":{"resourcename":"r1"}}}'],
    ['field names with spaces around them', '{"operation":{"Details":{" RESOURCENAME ":"r1"}}}'],
  ];
  it.each(cases)('%s', async (_name, json) => {
    const input = await read(req('/api/x', `INPUT_DATA=${json}`));
    expect(input.failure).toBeUndefined();
    expect(input.details().string('RESOURCENAME')).toBe('r1');
    expect(input.details().string('resourcename')).toBe('r1');
  });

  it('matches " POLICYNAME" and mixed-case keys', async () => {
    const input = await read(
      req(
        '/api/x',
        `INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{" POLICYNAME":"Strong","ResourceType":"Linux"}}}')}`,
      ),
    );
    expect(input.details().string('POLICYNAME')).toBe('Strong');
    expect(input.details().string('RESOURCETYPE')).toBe('Linux');
  });

  it('reads an operation without Details as empty', async () => {
    const input = await read(req('/api/x', 'INPUT_DATA={"operation":{"name":"x"}}'));
    expect(input.failure).toBeUndefined();
    expect(input.details().has('NAME')).toBe(false);
  });

  it('reads "Details": null as empty', async () => {
    const input = await read(req('/api/x', 'INPUT_DATA={"operation":{"Details":null}}'));
    expect(input.details().string('RESOURCENAME')).toBeUndefined();
  });

  it('reads INPUT_DATA=null as empty', async () => {
    const input = await read(req('/api/x?INPUT_DATA=null'));
    expect(input.failure).toBeUndefined();
    expect(input.details().string('X')).toBeUndefined();
  });

  it('coerces numbers to strings (RESOURCEIDS:[5], USERID:"1")', async () => {
    const input = await read(
      req('/api/x', '{"operation":{"Details":{"USERID":"1","RESOURCEID":5,"IDS":[5,"6"]}}}'),
    );
    expect(input.details().string('USERID')).toBe('1');
    expect(input.details().string('RESOURCEID')).toBe('5');
    expect(input.details().raw('IDS')).toEqual([5, '6']);
  });

  const badShapes: [string, string][] = [
    ['an array', '[1,2]'],
    ['a string', '"text"'],
    ['a number', '5'],
    ['operation as a string', '{"operation":"x"}'],
    ['operation as an array', '{"operation":[1]}'],
    ['Details as a string', '{"operation":{"Details":"x"}}'],
    ['Details as an array', '{"operation":{"Details":[{"A":1}]}}'],
  ];
  it.each(badShapes)('rejects INPUT_DATA that is %s when Details is read', async (_name, json) => {
    const input = await read(req(`/api/x?AUTHTOKEN=t&INPUT_DATA=${encodeURIComponent(json)}`));
    expect(input.param('AUTHTOKEN')).toBe('t');
    let error: unknown;
    try {
      input.details();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(/INPUT_DATA/);
  });
});

describe('readRequestInput: malformed input', () => {
  const malformed: [string, RawRequest][] = [
    [
      'query INPUT_DATA',
      req(`/api/x?AUTHTOKEN=tok&INPUT_DATA=${encodeURIComponent('{"operation":{"Details":')}`),
    ],
    [
      'urlencoded body INPUT_DATA',
      req('/api/x?AUTHTOKEN=tok', `INPUT_DATA=${encodeURIComponent('{"operation" "x"}')}`, 'text/json'),
    ],
    [
      'raw body INPUT_DATA',
      req('/api/x?AUTHTOKEN=tok', 'INPUT_DATA={"operation":{"Details":{"A":"x"}', 'application/json'),
    ],
    [
      'JSON document body',
      req('/api/x?AUTHTOKEN=tok', '{"operation":{"Details":{"A":"x"}', 'application/json'),
    ],
    [
      'JSON document body with trailing text',
      req('/api/x?AUTHTOKEN=tok', '{"operation":{}} trailing', 'application/json'),
    ],
    ['text INPUT_DATA that is not JSON at all', req('/api/x?AUTHTOKEN=tok', 'INPUT_DATA=hello+world')],
    ['too deeply nested INPUT_DATA', req('/api/x?AUTHTOKEN=tok', `INPUT_DATA=${'['.repeat(100_000)}`)],
    ['too deeply nested JSON body', req('/api/x?AUTHTOKEN=tok', '{"a":'.repeat(100_000), 'application/json')],
    [
      'multipart INPUT_DATA field',
      req(
        '/api/x?AUTHTOKEN=tok',
        multipart('bnd', [{ name: 'INPUT_DATA', data: '{"operation":' }]),
        'multipart/form-data; boundary=bnd',
      ),
    ],
  ];

  it.each(malformed)(
    '%s sets an InvalidInputError failure and keeps the query token readable',
    async (_name, raw) => {
      const input = await read(raw);
      expect(input.failure).toBeInstanceOf(InvalidInputError);
      expect(input.failure!.message).toMatch(/INPUT_DATA/);
      expect(input.param('AUTHTOKEN')).toBe('tok');
      expect(() => input.details()).toThrow(input.failure!);
    },
  );

  it('value() still answers from query parameters when INPUT_DATA is malformed', async () => {
    const input = await read(req('/api/x?AUTHTOKEN=tok&RESOURCEID=5', 'INPUT_DATA={bad'));
    expect(input.failure).toBeInstanceOf(InvalidInputError);
    expect(input.value('RESOURCEID')).toBe('5');
    expect(() => input.value('ACCOUNTID')).toThrow(InvalidInputError);
  });

  it('reports a truncated multipart body as InvalidInputError', async () => {
    const body = Buffer.from(
      '--bnd\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n{"a":1}',
      'utf8',
    );
    const input = await read(req('/api/x?AUTHTOKEN=tok', body, 'multipart/form-data; boundary=bnd'));
    expect(input.failure).toBeInstanceOf(InvalidInputError);
    expect(input.param('AUTHTOKEN')).toBe('tok');
  });

  it.each([
    ['a field', '--XyZ\r\nContent-Disposition: form-data; name="INPUT_DATA"\r\n\r\n{"a":1}'],
    // Issue 11, hole 1: the body ends inside a file; busboy reports it on the FileStream.
    ['a file', '--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nAAAA'],
    ['a part header', '--XyZ\r\nContent-Disposition: form-da'],
    ['the first boundary', '--Xy'],
  ])('answers a multipart body ending inside %s as UnreadableInputError (40007)', async (_where, text) => {
    const input = await read(req('/api/x', Buffer.from(text, 'utf8'), 'multipart/form-data; boundary=XyZ'));
    expect(input.failure).toBeInstanceOf(UnreadableInputError);
    expect(input.failure!.code).toBe(40007);
    expect(input.failure!.message).toMatch(/multipart\/form-data body cannot be read/);
  });

  it('refuses multipart text that is not UTF-8 but keeps a U+FFFD that was sent', async () => {
    const bad = multipart('bnd', [{ name: 'INPUT_DATA', data: Buffer.from([0x7b, 0x7d, 0xff]) }]);
    const badInput = await read(req('/api/x', bad, 'multipart/form-data; boundary=bnd'));
    expect(badInput.failure).toBeInstanceOf(UnreadableInputError);
    const sent = multipart('bnd', [{ name: 'NOTE', data: 'a\ufffdb' }]);
    const sentInput = await read(req('/api/x', sent, 'multipart/form-data; boundary=bnd'));
    expect(sentInput.failure).toBeUndefined();
    expect(sentInput.param('NOTE')).toBe('a\ufffdb');
  });

  it('refuses a body that is not UTF-8 as UnreadableInputError', async () => {
    const input = await read(req('/api/x', Buffer.from([0x41, 0x3d, 0xc3, 0x28]), 'text/json'));
    expect(input.failure).toBeInstanceOf(UnreadableInputError);
  });

  const surrogates: [string, RawRequest][] = [
    ['a JSON body', req('/api/x', '{"operation":{"Details":{"REASON":"\\ud800"}}}', 'application/json')],
    ['a raw body INPUT_DATA', req('/api/x', 'INPUT_DATA={"operation":{"Details":{"REASON":"a\\udfffb"}}}')],
    [
      'a urlencoded INPUT_DATA',
      req('/api/x', `INPUT_DATA=${encodeURIComponent('{"Details":{"RESOURCEDESCRIPTION":"\\ud800"}}')}`),
    ],
    ['a query INPUT_DATA', req(`/api/x?INPUT_DATA=${encodeURIComponent('{"REASON":["ok","\\ud83d"]}')}`)],
    ['a key', req('/api/x', '{"operation":{"Details":{"\\ud800":"x"}}}', 'application/json')],
    [
      'a multipart INPUT_DATA field',
      req(
        '/api/x',
        multipart('bnd', [{ name: 'INPUT_DATA', data: '{"Details":{"REASON":"\\ud800"}}' }]),
        'multipart/form-data; boundary=bnd',
      ),
    ],
  ];
  it.each(surrogates)('refuses a lone surrogate in %s (issue 11, hole 3)', async (_where, raw) => {
    const input = await read(raw);
    expect(input.failure).toBeInstanceOf(UnreadableInputError);
    expect(input.failure!.message).toMatch(/not valid Unicode/);
    expect(() => input.details()).toThrow(input.failure!);
  });

  it('accepts a surrogate pair, escaped or not', async () => {
    const input = await read(req('/api/x', '{"Details":{"REASON":"\\ud83d\\ude00 😀"}}', 'application/json'));
    expect(input.failure).toBeUndefined();
    expect(input.details().string('REASON')).toBe('😀 😀');
  });

  it('never rejects on garbage bodies of any content type', async () => {
    const bodies = [
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
      Buffer.from('%%%&&&==='),
      Buffer.from('{'),
      Buffer.from('['),
      Buffer.from('\ufeff'),
    ];
    const types = [
      undefined,
      'text/json',
      'application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'multipart/form-data',
    ];
    for (const body of bodies) {
      for (const type of types) {
        const input = await read(req('/api/x?AUTHTOKEN=tok', body, type));
        expect(input.param('AUTHTOKEN')).toBe('tok');
      }
    }
  });
});

describe('readRequestInput: precedence', () => {
  it('value() prefers a query parameter over the Details field', async () => {
    const input = await read(
      req('/api/x?RESOURCEID=5', 'INPUT_DATA={"operation":{"Details":{"RESOURCEID":"9","ACCOUNTID":7}}}'),
    );
    expect(input.value('RESOURCEID')).toBe('5');
    expect(input.value('resourceid')).toBe('5');
    expect(input.value('ACCOUNTID')).toBe('7');
    expect(input.value('MISSING')).toBeUndefined();
  });

  it('value() trims and enforces maxLength on both sources', async () => {
    const input = await read(
      req('/api/x?NAME=+abc+', 'INPUT_DATA={"operation":{"Details":{"OTHER":"  xyz  "}}}'),
    );
    expect(input.value('NAME')).toBe('abc');
    expect(input.value('OTHER')).toBe('xyz');
    expect(() => input.value('NAME', 2)).toThrow(FieldTooLongError);
    expect(() => input.value('OTHER', 2)).toThrow(FieldTooLongError);
    expect(input.value('NAME', 3)).toBe('abc');
  });

  it('the body INPUT_DATA wins over the query INPUT_DATA', async () => {
    const query = encodeURIComponent('{"operation":{"Details":{"SOURCE":"query","ONLYQUERY":"q"}}}');
    for (const body of [
      'INPUT_DATA={"operation":{"Details":{"SOURCE":"body"}}}',
      `INPUT_DATA=${encodeURIComponent('{"operation":{"Details":{"SOURCE":"body"}}}')}`,
      '{"operation":{"Details":{"SOURCE":"body"}}}',
    ]) {
      const input = await read(req(`/api/x?INPUT_DATA=${query}`, body));
      expect(input.failure).toBeUndefined();
      expect(input.details().string('SOURCE')).toBe('body');
      expect(input.details().string('ONLYQUERY')).toBeUndefined();
    }
  });

  it('the query INPUT_DATA is used when the body has none', async () => {
    const query = encodeURIComponent('{"operation":{"Details":{"SOURCE":"query"}}}');
    const input = await read(req(`/api/x?INPUT_DATA=${query}`, 'AUTHTOKEN=x'));
    expect(input.details().string('SOURCE')).toBe('query');
    expect(input.param('AUTHTOKEN')).toBe('x');
  });

  it('a later INPUT_DATA field in the same form wins', async () => {
    const input = await read(req('/api/x', 'INPUT_DATA={"A":"1"}&INPUT_DATA={"A":"2"}'));
    expect(input.details().string('A')).toBe('2');
  });
});

describe('readRequestInput: multipart/form-data uploads', () => {
  const B = 'XyZ-boundary-0123456789';

  it('returns the file bytes exactly (every byte value 0x00-0xFF) and reads INPUT_DATA', async () => {
    const content = binaryContent(B);
    const body = multipart(B, [
      { name: 'INPUT_DATA', data: JSON_DOC },
      { name: 'file', data: content, filename: 'keystore.p12', contentType: 'application/x-pkcs12' },
    ]);
    const input = await read(
      req('/api/pki/restapi/importCertificate?AUTHTOKEN=t', body, `multipart/form-data; boundary=${B}`),
    );
    expect(input.failure).toBeUndefined();
    expect(passwordOf(input)).toBe(PASSWORD);
    expect(input.param('AUTHTOKEN')).toBe('t');
    expect(input.files).toHaveLength(1);
    const file = input.file()!;
    expect(file.fieldName).toBe('file');
    expect(file.fileName).toBe('keystore.p12');
    expect(file.contentType).toBe('application/x-pkcs12');
    expect(file.content.equals(content)).toBe(true);
    expect(file.content.length).toBe(content.length);
  });

  it('finds a part named "File" (any case)', async () => {
    const content = Buffer.from([0, 1, 2, 253, 254, 255]);
    const body = multipart(B, [
      { name: 'File', data: content, filename: 'id_rsa' },
      { name: 'INPUT_DATA', data: '{"operation":{"Details":{"KEYNAME":"k"}}}' },
    ]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`));
    expect(input.failure).toBeUndefined();
    expect(input.details().string('KEYNAME')).toBe('k');
    const file = input.file()!;
    expect(file.fieldName).toBe('File');
    expect(file.content.equals(content)).toBe(true);
  });

  it('prefers the part named file when several files are sent, else none', async () => {
    const body = multipart(B, [
      { name: 'other', data: 'o', filename: 'o.txt' },
      { name: 'FILE', data: 'f', filename: 'f.txt' },
    ]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`));
    expect(input.files).toHaveLength(2);
    expect(input.file()!.fileName).toBe('f.txt');

    const two = multipart(B, [
      { name: 'a', data: 'a', filename: 'a.txt' },
      { name: 'b', data: 'b', filename: 'b.txt' },
    ]);
    expect((await read(req('/api/x', two, `multipart/form-data; boundary=${B}`))).file()).toBeUndefined();
  });

  it('accepts the only file whatever its part name', async () => {
    const body = multipart(B, [{ name: 'upload', data: 'content', filename: 'c.pem' }]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`));
    expect(input.file()!.content.toString('utf8')).toBe('content');
  });

  it('accepts an empty file', async () => {
    const body = multipart(B, [{ name: 'file', data: Buffer.alloc(0), filename: 'empty.bin' }]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`));
    expect(input.failure).toBeUndefined();
    expect(input.file()!.content.length).toBe(0);
  });

  it('reads non-ASCII file names and other fields as parameters', async () => {
    const body = multipart(B, [
      { name: 'AUTHTOKEN', data: 'tok' },
      { name: 'INPUT_DATA', data: JSON_DOC },
      { name: 'file', data: 'x', filename: 'clé 日本.txt' },
    ]);
    const input = await read(req('/api/x', body, `Multipart/Form-Data; boundary=${B}`));
    expect(input.failure).toBeUndefined();
    expect(input.param('authtoken')).toBe('tok');
    expect(input.file()!.fileName).toBe('clé 日本.txt');
    expect(passwordOf(input)).toBe(PASSWORD);
  });

  it('accepts a file of exactly maxFileBytes', async () => {
    const content = Buffer.alloc(100, 0xab);
    const body = multipart(B, [{ name: 'file', data: content, filename: 'f.bin' }]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`), {
      maxFileBytes: 100,
    });
    expect(input.failure).toBeUndefined();
    expect(input.file()!.content.equals(content)).toBe(true);
  });

  it('sets a PayloadTooLargeError failure for a file over maxFileBytes, keeping the query token', async () => {
    const body = multipart(B, [
      { name: 'INPUT_DATA', data: JSON_DOC },
      { name: 'file', data: Buffer.alloc(101, 0xab), filename: 'big.bin' },
    ]);
    const input = await read(req('/api/x?AUTHTOKEN=tok', body, `multipart/form-data; boundary=${B}`), {
      maxFileBytes: 100,
    });
    expect(input.failure).toBeInstanceOf(PayloadTooLargeError);
    expect(input.failure!.message).toMatch(/big\.bin/);
    expect(input.param('AUTHTOKEN')).toBe('tok');
    expect(() => input.details()).toThrow(PayloadTooLargeError);
  });

  it('reads a multipart body without a file', async () => {
    const body = multipart(B, [{ name: 'INPUT_DATA', data: JSON_DOC }]);
    const input = await read(req('/api/x', body, `multipart/form-data; boundary=${B}`));
    expect(input.files).toEqual([]);
    expect(input.file()).toBeUndefined();
    expect(passwordOf(input)).toBe(PASSWORD);
  });
});

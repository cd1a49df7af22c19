import { InvalidInputError } from '../../../platform/errors.js';

/**
 * A minimal DER writer and BER/DER reader for the keystore formats (PKCS#12 bags, PBES2
 * parameters, JKS key wrapping), whose structures @peculiar/asn1-* does not all model. Reading
 * accepts indefinite lengths and constructed OCTET STRINGs because some writers use BER.
 */

export const TAG = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, content: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export const seq = (...items: Uint8Array[]): Buffer => tlv(TAG.sequence, Buffer.concat(items));
export const set = (...items: Uint8Array[]): Buffer => tlv(TAG.set, Buffer.concat(items));
export const octets = (data: Uint8Array): Buffer => tlv(TAG.octetString, data);
export const nullValue = (): Buffer => Buffer.from([TAG.null, 0]);
/** [n] EXPLICIT, constructed context-specific. */
export const explicit = (n: number, inner: Uint8Array): Buffer => tlv(0xa0 | n, inner);

export function integer(value: number): Buffer {
  const bytes: number[] = [];
  let n = value;
  do {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  } while (n > 0);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(TAG.integer, Buffer.from(bytes));
}

export function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [first = 0, second = 0, ...rest] = parts;
  const bytes: number[] = [first * 40 + second];
  for (const part of rest) {
    const group: number[] = [part & 0x7f];
    for (let n = Math.floor(part / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f));
    bytes.push(...group);
  }
  return tlv(TAG.oid, Buffer.from(bytes));
}

export function bmpString(text: string): Buffer {
  const out = Buffer.alloc(text.length * 2);
  for (let i = 0; i < text.length; i++) out.writeUInt16BE(text.charCodeAt(i), i * 2);
  return tlv(TAG.bmpString, out);
}

/** AlgorithmIdentifier with the given parameters (NULL when none are given). */
export const algorithm = (id: string, params?: Uint8Array): Buffer => seq(oid(id), params ?? nullValue());

export interface Node {
  readonly tag: number;
  /** Content octets (for constructed OCTET STRINGs: the concatenated segments). */
  readonly content: Buffer;
  /** Children when constructed. */
  readonly children: readonly Node[];
  /** The whole encoding, header included (for MACs and signatures computed over it). */
  readonly raw: Buffer;
}

function refuse(what: string): never {
  throw new InvalidInputError(`The ${what} is not a readable ASN.1 structure`);
}

function readNode(data: Buffer, offset: number, what: string, depth: number): { node: Node; end: number } {
  if (depth > 64) refuse(what);
  if (offset + 2 > data.length) refuse(what);
  const tag = data[offset] as number;
  if ((tag & 0x1f) === 0x1f) refuse(what); // high tag numbers do not occur in these formats
  let pos = offset + 1;
  const first = data[pos++] as number;
  const constructed = (tag & 0x20) !== 0;
  let length: number | undefined;
  if (first < 0x80) length = first;
  else if (first === 0x80) {
    if (!constructed) refuse(what);
    length = undefined;
  } else {
    const count = first & 0x7f;
    if (count > 4 || pos + count > data.length) refuse(what);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (data[pos++] as number);
  }
  if (!constructed) {
    if (length === undefined || pos + length > data.length) refuse(what);
    const end = pos + length;
    return {
      node: { tag, content: data.subarray(pos, end), children: [], raw: data.subarray(offset, end) },
      end,
    };
  }
  const children: Node[] = [];
  let end: number;
  if (length === undefined) {
    let at = pos;
    for (;;) {
      if (at + 2 > data.length) refuse(what);
      if (data[at] === 0 && data[at + 1] === 0) {
        end = at + 2;
        break;
      }
      const child = readNode(data, at, what, depth + 1);
      children.push(child.node);
      at = child.end;
    }
  } else {
    end = pos + length;
    if (end > data.length) refuse(what);
    let at = pos;
    while (at < end) {
      const child = readNode(data.subarray(0, end), at, what, depth + 1);
      children.push(child.node);
      at = child.end;
    }
  }
  // A constructed OCTET STRING (BER) reads as the concatenation of its segments.
  const content =
    tag === 0x24
      ? Buffer.concat(children.map((c) => c.content))
      : data.subarray(pos, length === undefined ? end - 2 : end);
  return {
    node: { tag: tag === 0x24 ? TAG.octetString : tag, content, children, raw: data.subarray(offset, end) },
    end,
  };
}

/** Parses one complete ASN.1 value; `what` names it in the refusal ("PKCS#12 file"). */
export function parse(data: Uint8Array, what: string): Node {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const { node } = readNode(buffer, 0, what, 0);
  return node;
}

export function oidOf(node: Node | undefined, what: string): string {
  if (!node || node.tag !== TAG.oid || node.content.length === 0) refuse(what);
  const bytes = node.content;
  const first = bytes[0] as number;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    const b = bytes[i] as number;
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  // A last arc cut off mid-way would otherwise be dropped and the OID read as a shorter one.
  if (((bytes[bytes.length - 1] as number) & 0x80) !== 0) refuse(what);
  return parts.join('.');
}

export function intOf(node: Node | undefined, what: string): number {
  if (!node || node.tag !== TAG.integer || node.content.length === 0 || node.content.length > 6) refuse(what);
  let value = 0;
  for (const b of node.content) value = value * 256 + b;
  return value;
}

/** The child at `index`, refused when missing or (with `tag`) of another type. */
export function child(node: Node | undefined, index: number, what: string, tag?: number): Node {
  const found = node?.children[index];
  if (!found || (tag !== undefined && found.tag !== tag)) refuse(what);
  return found;
}

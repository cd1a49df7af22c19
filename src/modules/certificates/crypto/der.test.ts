import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../platform/errors.js';
import * as der from './der.js';

/** A fixed-seed generator, so that a failing garbage input is the same on every run. */
function bytesFrom(seed: number): (n: number) => Buffer {
  let state = seed >>> 0;
  const next = () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state >>> 24;
  };
  return (n) => Buffer.from(Array.from({ length: n }, next));
}

const refusal = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
};

describe('the DER reader of the keystore formats', () => {
  const sample = der.seq(
    der.integer(3),
    der.algorithm('1.2.840.113549.1.12.1.3', der.seq(der.octets(Buffer.from('salt1234')), der.integer(2048))),
    der.explicit(0, der.bmpString('friendly')),
  );

  it('reads back what the writer wrote', () => {
    const node = der.parse(sample, 'sample');
    expect(der.intOf(der.child(node, 0, 'x', der.TAG.integer), 'x')).toBe(3);
    const alg = der.child(node, 1, 'x', der.TAG.sequence);
    expect(der.oidOf(alg.children[0], 'x')).toBe('1.2.840.113549.1.12.1.3');
    expect(der.intOf(der.child(der.child(alg, 1, 'x'), 1, 'x'), 'x')).toBe(2048);
    expect(node.raw).toEqual(sample);
  });

  it('refuses malformed encodings with the InvalidInputError the API answers as Failed', () => {
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from([0x30])],
      ['length past the end', Buffer.from([0x04, 0x05, 0x01])],
      ['four-byte length past the end', Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02])],
      ['five length bytes', Buffer.from([0x04, 0x85, 0, 0, 0, 0, 1, 0])],
      ['indefinite primitive', Buffer.from([0x04, 0x80, 0x00, 0x00])],
      ['unterminated indefinite', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01])],
      ['high tag number', Buffer.from([0x1f, 0x81, 0x00, 0x00])],
      ['child past its parent', Buffer.from([0x30, 0x03, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00])],
      // 100 indefinite-length SEQUENCEs, each opening the next: past the depth limit of 64.
      ['nested too deep', Buffer.from(Array.from({ length: 200 }, (_, i) => (i % 2 ? 0x80 : 0x30)))],
    ];
    for (const [name, bytes] of cases) {
      const err = refusal(() => der.parse(bytes, 'test file'));
      expect(err, name).toBeInstanceOf(InvalidInputError);
      expect((err as Error).message, name).toBe('The test file is not a readable ASN.1 structure');
    }
    // An OID whose last arc is cut off is refused, not read as a shorter OID.
    const cut = der.parse(Buffer.from([0x06, 0x02, 0x2a, 0x86]), 'x');
    expect(der.oidOf(der.parse(der.oid('1.2.840'), 'x'), 'x')).toBe('1.2.840');
    expect(refusal(() => der.oidOf(cut, 'x'))).toBeInstanceOf(InvalidInputError);
    expect(refusal(() => der.intOf(der.parse(der.oid('1.2'), 'x'), 'x'))).toBeInstanceOf(InvalidInputError);
    expect(refusal(() => der.child(der.parse(sample, 'x'), 7, 'x'))).toBeInstanceOf(InvalidInputError);
  });

  it('answers garbage and damaged encodings only with InvalidInputError, never a RangeError or TypeError', () => {
    const random = bytesFrom(14);
    const other: string[] = [];
    const read = (bytes: Buffer) => {
      const err = refusal(() => {
        const node = der.parse(bytes, 'x');
        der.intOf(node.children[0], 'x');
        der.oidOf(node.children[1]?.children[0], 'x');
        der.child(node, 2, 'x', 0xa0);
      });
      if (err !== undefined && !(err instanceof InvalidInputError))
        other.push(`${(err as Error).name} on ${bytes.toString('hex')}`);
    };
    for (let i = 0; i < 20_000; i++) {
      read(random(1 + (i % 64)));
      const damaged = Buffer.from(sample);
      const [at = 0, value = 0, cut = 0] = random(3);
      damaged[at % damaged.length] = value;
      read(damaged.subarray(0, 1 + (cut % damaged.length)));
    }
    expect(other).toEqual([]);
  });
});

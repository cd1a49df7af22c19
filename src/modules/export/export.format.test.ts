import { describe, expect, it } from 'vitest';
import { Secret } from '../../platform/crypto/secret.js';
import {
  ALTERED,
  DEFAULT_COST,
  EXPORT_MAGIC,
  ExportFileError,
  NOT_AN_EXPORT,
  openExport,
  sealExport,
  TRUNCATED,
  WRONG_PASSPHRASE,
} from './export.format.js';

// The lowest cost a file may name: these tests are about the format, not scrypt's strength.
const CHEAP = { logN: 14, r: 8, p: 1 };
const passphrase: Secret = new Secret('correct horse battery staple');
const plain = Buffer.from('resource_name,account_name,password\r\nweb-01,root,"Zq8,""Lm4#xV"\r\n', 'utf8');
const sealed = () => sealExport(plain, passphrase, new Date('2027-01-02T03:04:05Z'), CHEAP);

async function refusal(file: Buffer, secret: Secret = passphrase): Promise<string> {
  try {
    await openExport(file, secret);
  } catch (err) {
    expect(err).toBeInstanceOf(ExportFileError);
    return (err as Error).message;
  }
  throw new Error('the file was opened');
}

/** Where the header's JSON ends (the ciphertext begins). */
const bodyStart = (file: Buffer) => EXPORT_MAGIC.length + 5 + file.readUInt32BE(EXPORT_MAGIC.length + 1);

describe('the export file (ADR 051)', () => {
  it('opens with its passphrase; the clear header holds no content, and each file has its own salt', async () => {
    const file = await sealed();
    expect(file.subarray(0, 8).toString('ascii')).toBe('BWEXPORT');
    expect(await openExport(file, passphrase)).toEqual(plain);
    expect(file.includes(Buffer.from('Zq8'))).toBe(false);
    expect(file.includes(Buffer.from('web-01'))).toBe(false);
    const header = JSON.parse(file.subarray(13, bodyStart(file)).toString('utf8'));
    expect(header).toMatchObject({ kdf: 'scrypt', logN: 14, r: 8, p: 1, length: plain.length });
    const other = await sealed();
    expect(JSON.parse(other.subarray(13, bodyStart(other)).toString('utf8')).salt).not.toBe(header.salt);
  });

  it('derives its key with strong scrypt parameters by default', async () => {
    expect(DEFAULT_COST).toEqual({ logN: 17, r: 8, p: 1 });
    const file = await sealExport(plain, passphrase, new Date());
    expect(await openExport(file, passphrase)).toEqual(plain);
  });

  it('refuses a wrong passphrase, a truncated file and an altered one, each in one line', async () => {
    const file = await sealed();
    expect(await refusal(file, new Secret('correct horse battery stapler'))).toBe(WRONG_PASSPHRASE);
    for (const length of [file.length - 1, bodyStart(file), 20, 10]) {
      expect(await refusal(file.subarray(0, length)), `cut at ${length}`).toBe(TRUNCATED);
    }
    const body = Buffer.from(file);
    body[bodyStart(file) + 3]! ^= 1;
    expect(await refusal(body)).toBe(ALTERED);
    const tag = Buffer.from(file);
    tag[tag.length - 1]! ^= 1;
    expect(await refusal(tag)).toBe(ALTERED);
    // The header is authenticated too: its creation time changed, the file no longer opens.
    const header = Buffer.from(file.toString('latin1').replace('2027-01-02', '2027-01-03'), 'latin1');
    expect(await refusal(header)).toBe(ALTERED);
    // A header naming an absurd cost is refused before scrypt runs.
    const costly = Buffer.from(file.toString('latin1').replace('"logN":14', '"logN":30'), 'latin1');
    expect(await refusal(costly)).toBe(ALTERED);
    expect(await refusal(Buffer.concat([file, Buffer.from([0])]))).toMatch(/bytes after its end/);
  });

  it('refuses what is not an export, and a version it does not read', async () => {
    expect(await refusal(Buffer.from('resource_name,account_name,password\r\n'))).toBe(NOT_AN_EXPORT);
    expect(await refusal(Buffer.alloc(0))).toBe(NOT_AN_EXPORT);
    const file = await sealed();
    const later = Buffer.from(file);
    later[8] = 2;
    expect(await refusal(later)).toBe('the export has format version 2; this build reads version 1');
  });
});

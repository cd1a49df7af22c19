import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, type TestContext } from 'vitest';
import { requireBinary } from '../../test/helpers/services.js';
import { zipArchive } from './zip.js';

const requireUnzip = (ctx: TestContext) => requireBinary(ctx, 'unzip', ['-v']);

describe('zipArchive', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-zip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an archive unzip tests clean and extracts byte for byte, with modes and UTF-8 names', (ctx) => {
    requireUnzip(ctx);
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    const entries = [
      { name: 'kit/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { name: 'kit/lib/data.bin', content: binary, mode: 0o644 },
      { name: 'kit/Zürich café.txt', content: 'ünïcode\r\n', mode: 0o600 },
      { name: 'kit/empty', content: '', mode: 0o644 },
    ];
    const file = path.join(dir, 'a.zip');
    writeFileSync(file, zipArchive(entries, new Date(2026, 10, 23, 14, 30, 58)));
    const tested = execFileSync('unzip', ['-t', file], { encoding: 'utf8' });
    expect(tested).toMatch(/No errors detected/);
    const listing = execFileSync('unzip', ['-Z', '-l', file], { encoding: 'utf8' });
    expect(listing).toMatch(/-rwxr-xr-x.*kit\/run\.sh/);
    expect(listing).toMatch(/26-Nov-23 14:30/);
    const out = path.join(dir, 'out');
    execFileSync('unzip', ['-q', file, '-d', out]);
    for (const entry of entries) {
      const extracted = path.join(out, entry.name);
      expect(readFileSync(extracted)).toEqual(Buffer.from(entry.content));
      expect(statSync(extracted).mode & 0o777).toBe(entry.mode);
    }
  });

  it('an empty archive is valid', (ctx) => {
    requireUnzip(ctx);
    const file = path.join(dir, 'empty.zip');
    writeFileSync(file, zipArchive([], new Date()));
    expect(readFileSync(file)).toHaveLength(22);
    // unzip answers an empty archive with exit status 1 and "zipfile is empty"; a malformed one
    // with status 9 and "End-of-central-directory signature not found".
    const result = spawnSync('unzip', ['-l', file], { encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr + result.stdout).toMatch(/zipfile is empty/);
    expect(result.stderr + result.stdout).not.toMatch(/End-of-central-directory signature not found/);
  });
});

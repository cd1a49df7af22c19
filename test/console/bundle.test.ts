import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/server.js';

const DIST = path.join(REPO_ROOT, 'dist', 'console');
/** The budget for the first load, compressed (docs/performance.md has the size). */
const BUDGET_BYTES = 400 * 1024;

/**
 * The built console (`npm run build`, which `npm test` runs first): the first load is small, and
 * nothing in index.html needs the CSP loosened.
 */
describe('the built console', () => {
  it('loads under 400 KB compressed: index.html and every script and stylesheet', () => {
    const assets = readdirSync(path.join(DIST, 'assets')).filter((f) => /\.(js|css)$/.test(f));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    const files = ['index.html', ...assets.map((f) => path.join('assets', f))];
    const gzipped = files.reduce(
      (sum, f) => sum + gzipSync(readFileSync(path.join(DIST, f)), { level: 9 }).length,
      0,
    );
    expect(gzipped).toBeLessThan(BUDGET_BYTES);
  });

  it('has no inline script or style and no source maps', () => {
    const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style[\s>]/);
    expect(html).not.toMatch(/\sstyle=/);
    expect(readdirSync(path.join(DIST, 'assets')).filter((f) => f.endsWith('.map'))).toEqual([]);
  });
});

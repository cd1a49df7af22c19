import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web console: built into dist/console, which the server serves at / under a strict CSP
 * (script-src 'self'; style-src 'self'): no inline scripts or styles, so no module preload
 * polyfill (it would be injected into the entry) and no source maps in the served folder.
 */
const outDir = fileURLToPath(new URL('../dist/console', import.meta.url));

/**
 * Writes `.br` and `.gz` beside every built file at the algorithms' best settings, which the
 * server loads at start instead of compressing (src/http/console-assets.ts: brotli's best
 * quality takes seconds on the bundle).
 */
function precompress() {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const full = path.join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  return {
    name: 'bulwark-precompress',
    closeBundle() {
      for (const file of walk(outDir)) {
        if (/\.(br|gz|map)$/.test(file)) continue;
        const body = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
    reportCompressedSize: true,
  },
});

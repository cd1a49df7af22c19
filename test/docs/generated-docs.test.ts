/**
 * The reference in docs/ cannot drift from the code: the generated sections are what the code
 * generates now, every result code is documented and every documented code exists, every code
 * the source answers with is in the catalogue, and the configuration list names exactly the
 * variables loadConfig reads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';
import { RESULT_CODES, resultCodes } from '../../src/platform/result-codes.js';
import { generatedFiles, registeredRoutes } from '../../src/tools/docs.js';
import { REPO_ROOT } from '../helpers/server.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') && !file.endsWith('.test.ts') ? [file] : [];
  });
}

describe('generated reference documentation', () => {
  it('every generated section in docs/ is what `npm run docs` writes from the code now', async () => {
    for (const { file, expected, actual } of await generatedFiles(REPO_ROOT)) {
      expect(actual, `${file} is out of date: run \`npm run docs\``).toBe(expected);
    }
  });

  it('docs/api-errors.md lists every code of the catalogue, and no other', () => {
    const text = readFileSync(path.join(REPO_ROOT, 'docs/api-errors.md'), 'utf8');
    const documented = [...text.matchAll(/^\|\s*(\d{5})\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(documented).toEqual(resultCodes().map((c) => [c.code, c.http]));
  });

  it('every result code written in the source is in the catalogue', () => {
    const known = new Set<number>(Object.values(RESULT_CODES).map((c) => c.code));
    const unknown: string[] = [];
    for (const file of sourceFiles(path.join(REPO_ROOT, 'src'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const trimmed = line.trim();
          if (trimmed.startsWith('*') || trimmed.startsWith('//') || trimmed.startsWith('/*')) return;
          // Numbers in quotes are database error codes (SQLSTATE), not ours.
          for (const m of line.matchAll(/(?<!['"\w.])(200\d\d|[45]\d{4})(?!['"\w])/g)) {
            if (!known.has(Number(m[1]))) unknown.push(`${path.relative(REPO_ROOT, file)}:${i + 1}: ${m[1]}`);
          }
        });
    }
    expect(unknown, 'add these codes to src/platform/result-codes.ts').toEqual([]);
  });

  it('docs/configuration.md names exactly the variables loadConfig reads', () => {
    const read = new Set<string>();
    const recording = (values: Record<string, string>): NodeJS.ProcessEnv =>
      new Proxy(values, {
        get(target, key) {
          if (typeof key === 'string') read.add(key);
          return target[key as string];
        },
      });
    loadConfig(recording({}));
    // Ticket validation over HTTP reads its own variables only when chosen.
    loadConfig(
      recording({
        BULWARK_TICKET_SYSTEM: 'http',
        BULWARK_TICKET_URL: 'https://itsm.example.com/{ticketId}',
      }),
    );
    read.delete('TZ'); // the fallback of BULWARK_TIMEZONE, documented there
    expect([...read].sort()).toEqual(CONFIG_VARIABLES.map((v) => v.name).sort());
  });

  it('the endpoint reference holds every registered route once', () => {
    const routes = registeredRoutes();
    expect(routes.length).toBeGreaterThan(50);
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(new Set(keys).size).toBe(keys.length);
    const text = readFileSync(path.join(REPO_ROOT, 'docs/endpoints.md'), 'utf8');
    for (const r of routes) expect(text).toContain(`\`${r.operation}\``);
  });
});

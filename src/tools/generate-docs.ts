/**
 * `npm run docs`: rewrites the generated sections of the reference in docs/ from the code.
 * `npm run docs:check`: changes nothing; exits 1 naming every file that is out of date.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from './docs.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, expected, actual } of await generatedFiles(root)) {
  if (expected === actual) continue;
  if (check) {
    stale++;
    process.stderr.write(`${file} is out of date with the code: run \`npm run docs\` and commit it\n`);
  } else {
    await writeFile(path.join(root, file), expected);
    process.stdout.write(`wrote ${file}\n`);
  }
}
if (stale > 0) process.exitCode = 1;

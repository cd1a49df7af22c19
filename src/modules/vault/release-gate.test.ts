import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RELEASE_KINDS, RELEASE_RULES } from './release-gate.js';

const VAULT = path.dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(VAULT).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const read = (file: string) => readFileSync(path.join(VAULT, file), 'utf8');

/**
 * The shape that keeps the release gate the only way out (ADR 018): the matrix test
 * (test/api/release-matrix.test.ts) checks what the gate decides; this checks nothing bypasses it.
 */
describe('the release gate is the only way secret material leaves the vault', () => {
  it('only the gate unseals a secret for a caller; the context opens for the vault checks', () => {
    const unsealing = sources.filter((f) => /unsealWith\(/.test(read(f)) && f !== 'sealing.ts').sort();
    expect(unsealing).toEqual(['release-gate.ts', 'vault.context.ts']);
    const opening = sources.filter((f) => /keyring\.open\(/.test(read(f)));
    expect(opening).toEqual(['sealing.ts']);
  });

  it('every release kind has a rule naming its permission, A2A operation and audit operation', () => {
    for (const kind of RELEASE_KINDS) {
      const rule = RELEASE_RULES[kind];
      expect(['view', 'modify', 'full'], kind).toContain(rule.permission);
      expect(rule.auditOperation, kind).not.toBe('');
    }
    expect(Object.keys(RELEASE_RULES).sort()).toEqual([...RELEASE_KINDS].sort());
  });
});

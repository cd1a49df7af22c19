import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CERTIFICATE_RELEASE_KINDS,
  CERTIFICATE_RELEASE_RULES,
  KEY_RELEASE_KINDS,
  KEY_RELEASE_RULES,
  RELEASE_KINDS,
  RELEASE_RULES,
} from './release-gate.js';

const VAULT = path.dirname(fileURLToPath(import.meta.url));
const sources = readdirSync(VAULT).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
const read = (file: string) => readFileSync(path.join(VAULT, file), 'utf8');
const SRC = path.resolve(VAULT, '../..');
const everySource = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.split(path.sep).join('/'));

/**
 * The shape that keeps the release gate the only way out (ADR 018): the matrix test
 * (test/api/release-matrix.test.ts) checks what the gate decides; this checks nothing bypasses it.
 */
describe('the release gate is the only way secret material leaves the vault', () => {
  it('only the gate unseals a secret for a caller; the context opens for the vault checks', () => {
    const unsealing = sources.filter((f) => /unsealWith\(/.test(read(f)) && f !== 'sealing.ts').sort();
    expect(unsealing).toEqual(['release-gate.ts', 'vault.context.ts']);
    // Any `.open(` (a keyring under another name too), anywhere in src: only sealing.ts.
    const opening = everySource.filter((f) =>
      /\.open\(|unsealWith\(|\/sealing\.js/.test(readFileSync(path.join(SRC, f), 'utf8')),
    );
    // Three exceptions outside the vault, none of which releases anything: the identity module
    // opens a user's own second-factor secret to check a sign-in code (ADR 042); the backup
    // checker opens every sealed value of a backup or a restored store to prove it opens, and
    // drops it (ADR 049, the operator's CLI); readiness opens a probe it sealed itself (ADR 047).
    const exceptions = [
      'modules/backup/backup.checker.ts',
      'modules/identity/second-factor.ts',
      'modules/monitoring/readiness.ts',
    ];
    expect(opening.filter((f) => !f.startsWith('modules/vault/'))).toEqual(exceptions);
    expect(opening.filter((f) => /\.open\(/.test(readFileSync(path.join(SRC, f), 'utf8')))).toEqual([
      ...exceptions,
      'modules/vault/sealing.ts',
    ]);
  });

  it('answers never open a sealed value: Password-type additional fields come from the gate or are masked', () => {
    const views = read('views.ts');
    expect(views).not.toMatch(/unseal|keyring/);
    expect(views).toMatch(/gate\.release\(\s*caller,\s*'additionalFields'/);
    expect(views).toMatch(/gate\.releaseResourceFields\(/);
    // The vault's own openings (policy checks of a change, keeping a field's value on a change
    // of its type, re-sealing a resolved pending rotation into the account or its history, and the
    // server's own use on hosts in host-secrets.ts: configured accounts' passwords, an SSH key's
    // private half, a pending key rotation's new key, ADR 033 and 035) through the context's
    // `unseal`; custom-fields.ts never opens one for an answer.
    const vaultOpenings = sources.filter((f) => /\bunseal\(/.test(read(f))).sort();
    expect(vaultOpenings).toEqual([
      'custom-fields.ts',
      'host-secrets.ts',
      'passwords.service.ts',
      'remote-change-records.ts',
      'remote-changes.ts',
    ]);
    // A resolved pending password is re-sealed, never returned: the resolve answer carries no secret.
    const records = read('remote-change-records.ts');
    expect(records).not.toMatch(/return[^;]*pending\.toString/);
    const fields = read('custom-fields.ts');
    const presenting = fields.slice(
      fields.indexOf('async function customFieldValues'),
      fields.indexOf('async function applyCustomFields'),
    );
    expect(presenting).toMatch(/released\(\)/);
    expect(presenting).not.toMatch(/unseal|storedCustomValue/);
    expect(fields).toMatch(/return \{ customFieldValues, applyCustomFields \};/);
  });

  it('every release kind has a rule naming its permission, A2A operation and audit operation', () => {
    for (const kind of RELEASE_KINDS) {
      const rule = RELEASE_RULES[kind];
      expect(['view', 'modify', 'full'], kind).toContain(rule.permission);
      expect(rule.auditOperation, kind).not.toBe('');
    }
    expect(Object.keys(RELEASE_RULES).sort()).toEqual([...RELEASE_KINDS].sort());
  });

  it('key material (the SSH key store, ADR 031) has its rules; the store seals but never opens', () => {
    for (const kind of KEY_RELEASE_KINDS) {
      const rule = KEY_RELEASE_RULES[kind];
      expect(['view', 'modify', 'full'], kind).toContain(rule.permission);
      expect(rule.auditOperation, kind).not.toBe('');
    }
    expect(Object.keys(KEY_RELEASE_RULES).sort()).toEqual([...KEY_RELEASE_KINDS].sort());
    const gate = read('release-gate.ts');
    // Both doors (caller, CLI operator) unseal the key after their audit record.
    expect(gate.match(/unsealWith\(\s*keyring,\s*sealed,\s*sshKeyMaterial\.privateKey\(/g)).toHaveLength(2);
    const store = everySource.filter((f) => f.startsWith('modules/ssh-keys/'));
    expect(store.length).toBeGreaterThan(0);
    for (const f of store) {
      expect(readFileSync(path.join(SRC, f), 'utf8'), f).not.toMatch(/unseal|\.open\(|openForConnection/);
    }
  });

  it('certificate key material (ADR 036) has its rules; the repository seals but never opens', () => {
    for (const kind of CERTIFICATE_RELEASE_KINDS) {
      const rule = CERTIFICATE_RELEASE_RULES[kind];
      expect(['view', 'modify', 'full'], kind).toContain(rule.permission);
      expect(rule.a2aOperation, kind).toBeUndefined();
      expect(rule.auditOperation, kind).not.toBe('');
    }
    expect(Object.keys(CERTIFICATE_RELEASE_RULES).sort()).toEqual([...CERTIFICATE_RELEASE_KINDS].sort());
    const gate = read('release-gate.ts');
    const door = gate.slice(
      gate.indexOf('async releaseCertificate('),
      gate.indexOf('async releaseResourceFields('),
    );
    // The audit record is written (and awaited) before the one unseal.
    expect(door.indexOf('await audit.recordAccess(')).toBeGreaterThan(0);
    expect(door.indexOf('await audit.recordAccess(')).toBeLessThan(door.indexOf('unsealWith('));
    expect(door.match(/unsealWith\(/g)).toHaveLength(1);
    for (const f of everySource.filter((f) => f.startsWith('modules/certificates/'))) {
      expect(readFileSync(path.join(SRC, f), 'utf8'), f).not.toMatch(/unseal|\.open\(|openForConnection/);
    }
    // ADR 039: the two openings for the server's own use, each named in sealing.ts and one module
    // file: the internal CA's key only to sign, a CSR's key only to seal it again to its certificate.
    const naming = (name: string) =>
      everySource.filter((f) => readFileSync(path.join(SRC, f), 'utf8').includes(name)).sort();
    expect(naming('useForSigning')).toEqual([
      'modules/certificates/internal-ca.ts',
      'modules/vault/sealing.ts',
    ]);
    expect(naming('resealForCertificate')).toEqual([
      'modules/certificates/certificate-requests.service.ts',
      'modules/vault/sealing.ts',
    ]);
  });

  it('the operator door for certificates (bulwark certs export, ADR 038) audits before its one unseal', () => {
    const gate = read('release-gate.ts');
    const door = gate.slice(
      gate.indexOf('async releaseCertificateToOperator('),
      gate.indexOf('async releaseCertificate('),
    );
    expect(door.length).toBeGreaterThan(0);
    expect(door.indexOf('await audit.recordAccess(')).toBeGreaterThan(0);
    expect(door.indexOf('await audit.recordAccess(')).toBeLessThan(door.indexOf('unsealWith('));
    expect(door.match(/unsealWith\(/g)).toHaveLength(1);
  });
});

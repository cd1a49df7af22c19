import { describe, expect, it } from 'vitest';
import type { Principal } from '../../platform/principal.js';
import { ROLES } from '../identity/index.js';
import { can, roleCan, roleCovers, ROLE_CAPABILITIES, type Capability } from './capabilities.js';

const principal = (role: string, isSuperAdmin = false): Principal => ({
  userId: 7,
  username: 'someone',
  role,
  isSuperAdmin,
  isApiUser: true,
});

/**
 * The capability table (ADR 019) keeps the role sets the modules held before it, exactly: the
 * expectations below are those sets, written out.
 */
describe('capabilities', () => {
  const expected: Record<Capability, readonly string[]> = {
    manageUsers: ['Administrator', 'Privileged Administrator'],
    manageInstance: ['Administrator', 'Privileged Administrator'],
    readAudit: ['Administrator', 'Privileged Administrator', 'Password Auditor'],
    assignOwners: ['Administrator', 'Password Administrator', 'Privileged Administrator'],
    createResourceGroups: ['Administrator', 'Password Administrator', 'Privileged Administrator'],
    decidePasswordRequests: ['Administrator', 'Privileged Administrator'],
    holdAllPasswords: ['Administrator', 'Password Administrator', 'Privileged Administrator'],
    // Reading every job was manageInstance's before; cancelling came with it (ADR 044).
    manageJobs: ['Administrator', 'Privileged Administrator'],
    // As the original product: administrators and password administrators import (docs/import.md).
    importResources: ['Administrator', 'Password Administrator', 'Privileged Administrator'],
  };

  it('names every role of the product, and nothing else', () => {
    expect(Object.keys(ROLE_CAPABILITIES).sort()).toEqual([...ROLES].sort());
  });

  it.each(Object.entries(expected))('%s belongs to exactly the roles that had it', (capability, roles) => {
    expect(ROLES.filter((r) => roleCan(r, capability as Capability))).toEqual(roles);
  });

  it('matches role names in any letter case and spacing; unknown roles may nothing', () => {
    expect(can(principal('  password   AUDITOR '), 'readAudit')).toBe(true);
    expect(can(principal('Password Auditor'), 'manageUsers')).toBe(false);
    expect(can(principal('constructor'), 'readAudit')).toBe(false);
    expect(can(principal('__proto__'), 'manageUsers')).toBe(false);
  });

  it('a super administrator may do everything', () => {
    for (const capability of Object.keys(expected) as Capability[])
      expect(can(principal('Password Administrator', true), capability)).toBe(true);
  });

  it('roleCovers: a role covers another when it may do all the other may', () => {
    expect(roleCovers('Administrator', 'Privileged Administrator')).toBe(true);
    expect(roleCovers('Administrator', 'Password Administrator')).toBe(true);
    expect(roleCovers('Administrator', 'Password User')).toBe(true);
    expect(roleCovers('Password Administrator', 'Administrator')).toBe(false);
    expect(roleCovers('Password Administrator', 'Password Auditor')).toBe(false);
    expect(roleCovers('Password User', 'Password User')).toBe(true);
  });
});

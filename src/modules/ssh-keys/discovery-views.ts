import type { Executor } from '../../platform/db/database.js';
import type { Caller } from '../../platform/principal.js';
import type { AccessPolicy } from '../access/index.js';
import type { AuditActor } from '../audit/index.js';
import { discoveryRepository as repo, type FindingRow, type ResourceRef } from './discovery.repository.js';
import {
  discoveredKeyName,
  fingerprintOfDiscoveredName,
  storeTypeOf,
  type DiscoveredKey,
  type FoundKey,
  type FoundOn,
  type InvalidLine,
  type ResourceFindings,
} from './discovery.types.js';

/**
 * What discovery found, as each reader may see it (ADR 034): the findings of a resource whose
 * reader holds a grant on the resource itself (view or more; super administrators and the local
 * operator see all), and across resources for the key listings (27, 28). A key store key's name
 * is shown only to who may see that key; that the store holds the fingerprint is not a secret.
 */
export type FindingsViews = ReturnType<typeof findingsView>;

type Reader = Caller | { readonly operator: AuditActor };

const num = (v: unknown) => Number(v);

function foundKeyOf(row: FindingRow): FoundKey {
  return {
    userName: row.user_name,
    line: num(row.line),
    keyType: row.key_type,
    bits: num(row.bits),
    fingerprint: row.fingerprint,
    publicKey: row.public_key,
    comment: row.comment,
    options: row.options,
    firstSeen: num(row.first_seen),
    lastSeen: num(row.last_seen),
  };
}

function invalidLinesOf(json: string): InvalidLine[] {
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? (parsed as InvalidLine[]) : [];
  } catch {
    return [];
  }
}

export function findingsView(deps: { readonly db: Executor; readonly access: AccessPolicy }) {
  const { db, access } = deps;

  /** The names of store keys with each fingerprint that the reader may see. */
  async function visibleVaultKeys(
    reader: Reader,
    fingerprints: readonly string[],
  ): Promise<{ known: Set<string>; names: Map<string, string[]> }> {
    const keys = await repo.vaultKeys(db, fingerprints);
    const known = new Set(keys.map((k) => k.fingerprint));
    const names = new Map<string, string[]>();
    const principal = 'operator' in reader ? undefined : reader.principal;
    for (const k of keys) {
      const sees = principal === undefined || (await access.sshKeyPermission(db, principal, k)) !== 'none';
      if (sees) names.set(k.fingerprint, [...(names.get(k.fingerprint) ?? []), k.name]);
    }
    return { known, names };
  }

  /** Resources with findings the caller may see (a grant on the resource itself), or all. */
  async function viewable(caller: Caller): Promise<readonly number[] | 'all'> {
    const principal = caller.principal;
    if (principal.isSuperAdmin) return 'all';
    const candidates = await repo.resourcesWithFindings(db, access.resourceScope(principal));
    const ids: number[] = [];
    for (const r of candidates)
      if ((await access.resourcePermission(db, principal, r)) !== 'none') ids.push(r.id);
    return ids;
  }

  const foundOnOf = (row: FindingRow & { resource_name: string }): FoundOn => ({
    resourceName: row.resource_name,
    userName: row.user_name,
    line: num(row.line),
    options: row.options,
    lastSeen: num(row.last_seen),
  });

  function discoveredOf(rows: readonly (FindingRow & { resource_name: string })[]): DiscoveredKey {
    const first = rows.reduce((a, b) => (num(b.first_seen) < num(a.first_seen) ? b : a));
    return {
      name: discoveredKeyName(first.fingerprint),
      type: storeTypeOf(first.key_type),
      bits: num(first.bits),
      fingerprint: first.fingerprint,
      publicKey: first.public_key,
      comment: first.comment,
      firstSeen: num(first.first_seen),
      foundOn: rows.map(foundOnOf),
    };
  }

  return {
    /** One resource's last discovery, every key matched against the store. */
    async findings(reader: Reader, resource: ResourceRef): Promise<ResourceFindings> {
      const discovery = await repo.discovery(db, resource.id);
      const accounts = await repo.accounts(db, resource.id);
      const rows = await repo.findings(db, resource.id);
      const { known, names } = await visibleVaultKeys(
        reader,
        rows.map((r) => r.fingerprint),
      );
      return {
        resourceId: resource.id,
        resourceName: resource.name,
        discoveredAt: discovery?.discovered_at == null ? undefined : num(discovery.discovered_at),
        discoveredBy: discovery?.discovered_by ?? undefined,
        host: discovery?.host ?? undefined,
        attemptedAt: discovery ? num(discovery.attempted_at) : undefined,
        attemptedBy: discovery?.attempted_by,
        lastError:
          discovery?.error_reason != null
            ? { reason: discovery.error_reason, message: discovery.error ?? '' }
            : undefined,
        accounts: accounts.map((a) => ({
          userName: a.user_name,
          file: a.file_state,
          invalid: invalidLinesOf(a.invalid_lines),
        })),
        keys: rows.map((r) => ({
          ...foundKeyOf(r),
          known: known.has(r.fingerprint),
          vaultKeys: names.get(r.fingerprint) ?? [],
        })),
      };
    },

    /**
     * For 27: the keys found on resources the caller may see that the store does not hold
     * (one entry per fingerprint), and where each store-held fingerprint was found.
     */
    async keysFound(
      caller: Caller,
    ): Promise<{ discovered: DiscoveredKey[]; foundOn: Map<string, FoundOn[]> }> {
      const rows = await repo.findingsOn(db, await viewable(caller));
      const known = new Set(
        (
          await repo.vaultKeys(
            db,
            rows.map((r) => r.fingerprint),
          )
        ).map((k) => k.fingerprint),
      );
      const byFingerprint = new Map<string, (FindingRow & { resource_name: string })[]>();
      for (const r of rows)
        byFingerprint.set(r.fingerprint, [...(byFingerprint.get(r.fingerprint) ?? []), r]);
      const discovered: DiscoveredKey[] = [];
      const foundOn = new Map<string, FoundOn[]>();
      for (const [fingerprint, found] of byFingerprint) {
        if (known.has(fingerprint)) foundOn.set(fingerprint, found.map(foundOnOf));
        else discovered.push(discoveredOf(found));
      }
      discovered.sort((a, b) => a.name.localeCompare(b.name));
      return { discovered, foundOn };
    },

    /** For 28 and 29: the discovered key a `discovered:SHA256:…` name stands for, if the caller may see it. */
    async discoveredKey(caller: Caller, name: string): Promise<DiscoveredKey | undefined> {
      const fingerprint = fingerprintOfDiscoveredName(name);
      if (fingerprint === undefined) return undefined;
      const rows = await repo.findingsOn(db, await viewable(caller), fingerprint);
      if (rows.length === 0) return undefined;
      if ((await repo.vaultKeys(db, [fingerprint])).length > 0) return undefined;
      return discoveredOf(rows);
    },

    /** For 28: where a store key was found, on resources the caller may see. */
    async foundOn(caller: Caller, fingerprint: string): Promise<FoundOn[]> {
      return (await repo.findingsOn(db, await viewable(caller), fingerprint)).map(foundOnOf);
    },
  };
}

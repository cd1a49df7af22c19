import type { Executor } from '../../platform/db/database.js';
import { NotFoundError } from '../../platform/errors.js';
import { authoriseAdministrator } from '../access/index.js';
import { AuditOperation, type AuditActor } from '../audit/index.js';
import type { HostKeyPins, ObservedHostKey } from '../rotation/connectors/connector.js';
import { distinctObserved, hostKey, normalizeFingerprint } from './host-keys.js';
import type { Configurer, RemoteResetContext } from './remote-reset.context.js';
import { remoteResetRepository as repo } from './remote-reset.repository.js';
import type { OfferedHostKey, PinnedHostKey } from './remote-reset.types.js';

/**
 * The SSH host keys pinned for remote reset targets (ADR 027): what the rotation service reads
 * and records (a snapshot of the pins, trust on first use, refused keys kept as offered), and
 * what administrators list, accept and remove. Every change of a pin is audited.
 */
export function hostKeyOperations({ db, audit, clock }: RemoteResetContext) {
  function requireHostKeyAdministrator(who: Configurer): AuditActor {
    return authoriseAdministrator(who, 'SSH host keys');
  }

  return {
    /** The pinned host keys, read now (a snapshot). */
    async hostKeyPins(executor: Executor): Promise<HostKeyPins> {
      const pins = new Map(
        (await repo.pinnedKeys(executor)).map((k) => [
          `${k.host}|${k.port}`,
          { algorithm: k.algorithm, key: k.key },
        ]),
      );
      return { pinned: (host, port) => pins.get(`${hostKey(host)}|${port}`) };
    },

    /** Pins keys of host:port that have no pin yet (trust on first use), each audited; answers those pinned. */
    async pinOnFirstUse(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<ObservedHostKey[]> {
      const pinned: ObservedHostKey[] = [];
      for (const key of distinctObserved(observed)) {
        await db.transaction().execute(async (trx) => {
          if (!(await repo.pinIfAbsent(trx, key, clock.now(), 'first-use', actor.username))) return;
          pinned.push(key);
          await audit.append(trx, actor, {
            auditType: 'Resource',
            operation: AuditOperation.sshHostKeyPinned,
            reason: `${key.host}:${key.port} ${key.algorithm} ${key.fingerprint} (trust on first use)`,
          });
        });
      }
      return pinned;
    },

    /**
     * A host offered a key other than its pin and the connection was refused: the key is kept
     * as offered (an administrator may accept it) and the refusal audited.
     */
    async recordRefusedKey(observed: readonly ObservedHostKey[], actor: AuditActor): Promise<void> {
      for (const key of distinctObserved(observed)) {
        await db.transaction().execute(async (trx) => {
          const pin = await repo.pinnedKey(trx, key.host, key.port);
          if (pin && pin.algorithm === key.algorithm && pin.key === key.key) return;
          await repo.recordOffered(trx, key, clock.now());
          await audit.append(trx, actor, {
            auditType: 'Resource',
            operation: AuditOperation.sshHostKeyRefused,
            reason: `${key.host}:${key.port} offered ${key.algorithm} ${key.fingerprint}${
              pin ? `; pinned ${pin.algorithm} ${pin.fingerprint}` : ''
            }; an administrator must accept the new key`,
          });
        });
      }
    },

    // --- host keys for administrators

    async listHostKeys(who: Configurer): Promise<{ pinned: PinnedHostKey[]; offered: OfferedHostKey[] }> {
      requireHostKeyAdministrator(who);
      return db.transaction().execute(async (trx) => ({
        pinned: await repo.pinnedKeys(trx),
        offered: await repo.offeredKeys(trx),
      }));
    },

    /** An offered key of host:port becomes its pin; audited with the key it replaces. */
    async acceptHostKey(
      who: Configurer,
      host: string,
      port: number,
      fingerprint: string,
    ): Promise<PinnedHostKey> {
      const actor = requireHostKeyAdministrator(who);
      const h = hostKey(host);
      const wanted = normalizeFingerprint(fingerprint);
      return db.transaction().execute(async (trx) => {
        const offered = (await repo.offeredKeys(trx)).find(
          (k) => k.host === h && k.port === port && k.fingerprint === wanted,
        );
        if (!offered) {
          throw new NotFoundError(`${h}:${port} has not offered a key with fingerprint ${wanted}`);
        }
        const previous = await repo.pinnedKey(trx, h, port);
        await repo.deletePin(trx, h, port);
        await repo.pinIfAbsent(trx, offered, clock.now(), 'accepted', actor.username);
        await repo.deleteOffered(trx, h, port, wanted);
        await audit.append(trx, actor, {
          auditType: 'Resource',
          operation: AuditOperation.sshHostKeyAccepted,
          reason: `${h}:${port} ${offered.algorithm} ${wanted}${previous ? ` replaces ${previous.fingerprint}` : ''}`,
        });
        return (await repo.pinnedKey(trx, h, port))!;
      });
    },

    /** Removes the pin of host:port: the next connection pins on first use again. */
    async removeHostKeyPin(who: Configurer, host: string, port: number): Promise<void> {
      const actor = requireHostKeyAdministrator(who);
      const h = hostKey(host);
      await db.transaction().execute(async (trx) => {
        const previous = await repo.pinnedKey(trx, h, port);
        if (!previous || !(await repo.deletePin(trx, h, port))) {
          throw new NotFoundError(`No host key is pinned for ${h}:${port}`);
        }
        await audit.append(trx, actor, {
          auditType: 'Resource',
          operation: AuditOperation.sshHostKeyPinRemoved,
          reason: `${h}:${port} ${previous.algorithm} ${previous.fingerprint}; the next connection pins on first use`,
        });
      });
    },
  };
}

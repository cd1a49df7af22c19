import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Keyring } from '../../platform/crypto/keyring.js';
import type { Secret } from '../../platform/crypto/secret.js';
import type { AuditActor, AuditService } from '../audit/index.js';
import {
  AuthorizedKeysFailure,
  describeFailure,
  logWithoutMessage,
  RemoteChangeFailure,
} from '../rotation/index.js';
import { eventOnSshKey, sshKeyMaterial, sshKeyRotationMaterial, type HostSecrets } from '../vault/index.js';
import type { KeyHosts } from './key-hosts.js';
import {
  keyRotationRepository as repo,
  type RotationHostRow,
  type RotationRow,
} from './key-rotation.repository.js';
import {
  KeyRotationAuditOperation as Op,
  type HostProgress,
  type KeyRotationOutcome,
} from './key-rotation.types.js';
import { viewOf } from './key-rotation.views.js';

/**
 * The phases of a key rotation (ADR 035), shared by a fresh run and reconciliation:
 * phase 1 puts the new key on every host and proves a login with it; any failure rolls back
 * (the new line taken off again, the vault unchanged); the switch makes the new key the vault's
 * (one transaction, audited `SSH Key Rotated`); phase 2 removes the old key's line everywhere.
 * Every step is recorded before the next, so a crash leaves a phase reconciliation can finish.
 */

export interface KeyRotationPhaseDeps {
  readonly database: Database;
  readonly keyring: Keyring;
  readonly audit: AuditService;
  readonly clock: Clock;
  readonly hosts: Pick<KeyHosts, 'addKey' | 'removeKey' | 'listKeys' | 'verifyKeyLogin'>;
  readonly secrets: Pick<HostSecrets, 'openSshKey' | 'openPendingSshKey'>;
  /**
   * Runs a write of one account's authorized_keys alone among this process's writers of it (the
   * deployments' `withAccount`): the host replaces the file whole, so interleaved writers (an
   * associate of another key to the same account) could lose a line.
   */
  readonly withAccount?: <T>(resourceId: number, userName: string, work: () => Promise<T>) => Promise<T>;
  /**
   * Test hook (BULWARK_TEST_HOOKS=crash-after-remote-change, honoured only under NODE_ENV=test):
   * called right after a host took the new key, before anything else is recorded.
   */
  readonly afterRemoteChange?: () => void;
  readonly log?: (err: unknown, message: string) => void;
}

type PendingKey = { readonly privateKey: Secret; readonly passphrase: Secret | undefined };

/** What phase 1 (or its reconciliation) decided. */
type PhaseOne =
  { readonly ok: true } | { readonly ok: false; readonly decided: boolean; readonly message: string };

const label = (h: { resource_name: string; user_name: string }) => `${h.user_name}@${h.resource_name}`;

/** Why a host call failed, never a secret; whether the host may have changed. */
function failureOf(err: unknown): { message: string; mayHaveChanged: boolean; accountGone: boolean } {
  const { message, mayHaveChanged } = describeFailure(err);
  const accountGone = err instanceof AuthorizedKeysFailure && err.problem === 'unknown-account';
  return { message, mayHaveChanged, accountGone };
}

export function keyRotationPhases(deps: KeyRotationPhaseDeps) {
  const { database, keyring, audit, clock, hosts: keyHosts, secrets } = deps;
  const db = database.db;
  const log = deps.log ?? logWithoutMessage;

  const alone = <T>(resourceId: number, userName: string, work: () => Promise<T>): Promise<T> =>
    deps.withAccount ? deps.withAccount(resourceId, userName, work) : work();
  const addKey = (actor: AuditActor, resource: { id: number; name: string }, user: string, key: string) =>
    alone(resource.id, user, () => keyHosts.addKey(actor, resource, user, key));
  const removeKey = (actor: AuditActor, resource: { id: number; name: string }, user: string, key: string) =>
    alone(resource.id, user, () => keyHosts.removeKey(actor, resource, user, key));

  const setHost = (h: RotationHostRow, state: RotationHostRow['state'], message: string | null) =>
    repo.setHost(db, { id: Number(h.id), rotationId: Number(h.rotation_id) }, state, message, clock.now());

  async function keyNameOf(rotation: RotationRow): Promise<string> {
    return (await repo.keyById(db, Number(rotation.key_id)))?.name ?? `#${rotation.key_id}`;
  }

  async function auditOn(actor: AuditActor, rotation: RotationRow, operation: string, note: string) {
    const name = await keyNameOf(rotation);
    await db
      .transaction()
      .execute((trx) =>
        audit.append(trx, actor, eventOnSshKey(operation, name, `rotation ${rotation.id}: ${note}`)),
      );
  }

  /** The resource of a host row, or undefined (marked gone) when it was deleted meanwhile. */
  async function resourceOf(h: RotationHostRow) {
    const resource = await repo.resource(db, Number(h.resource_id));
    if (!resource) await setHost(h, 'gone', 'the resource was deleted during the rotation');
    return resource;
  }

  /** Phase 1 of a fresh run: on each host in turn, add the new line, then log in with the new key. */
  async function addEverywhere(
    rotation: RotationRow,
    actor: AuditActor,
    progress: ((p: HostProgress) => void) | undefined,
  ): Promise<PhaseOne> {
    const pending = await secrets.openPendingSshKey(db, Number(rotation.id));
    if (!pending)
      return { ok: false, decided: true, message: 'the new key is no longer held by the rotation' };
    for (const h of await repo.hosts(db, Number(rotation.id))) {
      if (h.state !== 'todo') continue;
      const resource = await resourceOf(h);
      if (!resource) continue;
      await setHost(h, 'adding', null);
      let present: boolean;
      try {
        const added = await addKey(actor, resource, h.user_name, rotation.new_public_key);
        present = added.result.outcome === 'present';
      } catch (err) {
        const f = failureOf(err);
        if (!(err instanceof RemoteChangeFailure))
          log(err, 'adding a rotated SSH key to a host failed unexpectedly');
        await setHost(h, f.mayHaveChanged ? 'adding' : 'failed', f.message);
        progress?.({
          resourceName: h.resource_name,
          userName: h.user_name,
          step: 'failed',
          message: f.message,
        });
        return { ok: false, decided: true, message: `${label(h)}: ${f.message}` };
      }
      // The host took the new key; nothing else is recorded yet (crash injection lands here).
      deps.afterRemoteChange?.();
      const proved = await prove(h, resource, pending, actor);
      if (proved !== undefined) {
        await setHost(h, 'adding', proved);
        progress?.({ resourceName: h.resource_name, userName: h.user_name, step: 'failed', message: proved });
        return { ok: false, decided: true, message: `${label(h)}: ${proved}` };
      }
      await setHost(
        h,
        'verified',
        `new key ${present ? 'was there already' : 'added'} and verified by logging in`,
      );
      progress?.({
        resourceName: h.resource_name,
        userName: h.user_name,
        step: 'new key added and verified',
      });
    }
    return { ok: true };
  }

  /** Logs in as the account with the new key: undefined when it opens, else why not. */
  async function prove(
    h: RotationHostRow,
    resource: { id: number; name: string },
    pending: PendingKey,
    actor: AuditActor,
  ): Promise<string | undefined> {
    try {
      const login = await keyHosts.verifyKeyLogin(actor, resource, h.user_name, pending);
      if (login.result.outcome === 'opens') return undefined;
      return 'the host took the new key but refuses a login with it (sshd configuration: AuthorizedKeysFile, StrictModes, AllowUsers?)';
    } catch (err) {
      return `the login with the new key could not be tried: ${failureOf(err).message}`;
    }
  }

  /**
   * Phase 1 after a crash or a lost node: read each host (listKeys). Every host holds the new
   * key and a login with it opens: go on to the switch. A host that never got it: roll back. A
   * host that cannot be read (and none known to lack it): undecided, retried later.
   */
  async function decideFromHosts(rotation: RotationRow, actor: AuditActor): Promise<PhaseOne> {
    const rows = await repo.hosts(db, Number(rotation.id));
    const interrupted = rows.find((h) => h.state === 'todo' || h.state === 'failed');
    if (interrupted) {
      return {
        ok: false,
        decided: true,
        message: `the rotation was interrupted before ${label(interrupted)} had the new key`,
      };
    }
    const unread: string[] = [];
    const holding: { h: RotationHostRow; resource: { id: number; name: string } }[] = [];
    for (const h of rows) {
      if (h.state === 'gone') continue;
      const resource = await resourceOf(h);
      if (!resource) continue;
      try {
        const listed = await keyHosts.listKeys(actor, resource, [h.user_name]);
        const account = listed.result.accounts.find((a) => a.user === h.user_name);
        if (!account?.keys.some((k) => k.fingerprint === rotation.new_fingerprint)) {
          await setHost(h, 'adding', 'the host does not hold the new key (read from the host)');
          return {
            ok: false,
            decided: true,
            message: `the rotation was interrupted before ${label(h)} had the new key (read from the host)`,
          };
        }
        holding.push({ h, resource });
      } catch (err) {
        unread.push(`${label(h)}: ${failureOf(err).message}`);
      }
    }
    if (unread.length > 0) {
      return { ok: false, decided: false, message: `could not read ${unread.join('; ')}` };
    }
    const pending = await secrets.openPendingSshKey(db, Number(rotation.id));
    if (!pending)
      return { ok: false, decided: true, message: 'the new key is no longer held by the rotation' };
    for (const { h, resource } of holding) {
      const proved = await prove(h, resource, pending, actor);
      if (proved !== undefined) {
        await setHost(h, 'adding', proved);
        return { ok: false, decided: true, message: `${label(h)}: ${proved}` };
      }
      await setHost(h, 'verified', 'new key found on the host and verified by logging in');
    }
    return { ok: true };
  }

  /**
   * The switch (one transaction): the key's row takes the new private key, public key and
   * fingerprint; the rotation keeps the old private key sealed until no host holds its line.
   * Refused (undefined answered: roll back) when the key or its deployments changed meanwhile.
   */
  async function switchOver(rotation: RotationRow, actor: AuditActor): Promise<string | undefined> {
    const rotationId = Number(rotation.id);
    const keyId = Number(rotation.key_id);
    return db.transaction().execute(async (trx) => {
      const key = await repo.lockKey(trx, database.dialect, keyId);
      if (!key || key.fingerprint !== rotation.old_fingerprint)
        return 'the key was changed during the rotation';
      const rows = await repo.hosts(trx, rotationId);
      const deployed = await repo.deployments(trx, keyId);
      const id = (resourceId: unknown, user: string) => `${Number(resourceId)}/${user}`;
      const verified = new Set(
        rows.filter((h) => h.state === 'verified').map((h) => id(h.resource_id, h.user_name)),
      );
      const now = new Set(deployed.map((d) => id(d.resourceId, d.userName)));
      const added = deployed.filter((d) => !verified.has(id(d.resourceId, d.userName)));
      const removed: RotationHostRow[] = [];
      for (const h of rows) {
        if (h.state !== 'verified' || now.has(id(h.resource_id, h.user_name))) continue;
        // A resource deleted meanwhile took its deployment with it: nothing to switch there.
        if (await repo.resource(trx, Number(h.resource_id))) removed.push(h);
        else
          await repo.setHost(
            trx,
            { id: Number(h.id), rotationId },
            'gone',
            'the resource was deleted during the rotation',
            clock.now(),
          );
      }
      if (added.length > 0 || removed.length > 0) {
        const which = [...added.map((d) => `${d.userName}@${d.resourceName}`), ...removed.map(label)];
        return `the key's deployments changed during the rotation (${which.slice(0, 5).join(', ')}): rotate again`;
      }
      const pending = await secrets.openPendingSshKey(trx, rotationId);
      const old = await secrets.openSshKey(trx, keyId);
      if (!pending || !old) return 'the new key is no longer held by the rotation';
      const switched = await repo.switchKey(trx, keyId, rotation.old_fingerprint, {
        publicKey: rotation.new_public_key,
        fingerprint: rotation.new_fingerprint,
        privateKeySealed: keyring.seal(pending.privateKey.reveal(), sshKeyMaterial.privateKey(keyId)),
      });
      const proved = (await repo.hosts(trx, rotationId)).filter((h) => h.state === 'verified');
      const hostCount = proved.length;
      const message = `the vault holds the new key; it opens ${hostCount} host(s); removing the old key's lines`;
      const marked =
        switched &&
        (await repo.markSwitched(
          trx,
          rotationId,
          keyring.seal(old.privateKey.reveal(), sshKeyRotationMaterial.oldPrivateKey(rotationId)),
          message,
          clock.now(),
        ));
      if (!marked) throw new SettledElsewhere();
      await audit.append(
        trx,
        actor,
        eventOnSshKey(
          Op.rotated,
          key.name,
          `rotation ${rotationId}: ${key.key_type} ${key.bits} ${rotation.old_fingerprint} replaced by ` +
            `${rotation.new_fingerprint}, verified by logging in on ${hostCount} host(s)` +
            (hostCount > 0 ? `: ${proved.slice(0, 20).map(label).join(', ')}` : ''),
        ),
      );
      return undefined;
    });
  }

  /** Takes the new key's line off every host that may hold it; settles `failed` once none does. */
  async function rollBack(
    rotation: RotationRow,
    actor: AuditActor,
    progress: ((p: HostProgress) => void) | undefined,
  ): Promise<boolean> {
    // The cause names the host that failed first (`user@resource: why`), set when phase 1 failed.
    const cause = rotation.message ?? 'the rotation failed';
    const left: string[] = [];
    let changed = false;
    for (const h of await repo.hosts(db, Number(rotation.id))) {
      if (h.state !== 'adding' && h.state !== 'verified') continue;
      const resource = await resourceOf(h);
      if (!resource) continue;
      const culprit = cause.startsWith(`${label(h)}: `);
      const outcome = (what: string) => (culprit ? `${cause.slice(label(h).length + 2)}; ${what}` : what);
      try {
        await removeKey(actor, resource, h.user_name, rotation.new_public_key);
        await setHost(h, culprit ? 'failed' : 'rolled-back', outcome('the new key was taken off again'));
      } catch (err) {
        const f = failureOf(err);
        if (f.accountGone) {
          await setHost(
            h,
            culprit ? 'failed' : 'rolled-back',
            outcome('the account no longer exists on the host'),
          );
        } else {
          const message = outcome(
            `the new key could not be taken off yet: ${f.message}; reconciliation retries`,
          );
          changed ||= h.message !== message;
          left.push(`${label(h)} (${f.message})`);
          await setHost(h, h.state, message);
          progress?.({
            resourceName: h.resource_name,
            userName: h.user_name,
            step: 'new key left',
            message: f.message,
          });
          continue;
        }
      }
      progress?.({
        resourceName: h.resource_name,
        userName: h.user_name,
        step: culprit ? 'failed' : 'rolled back',
      });
    }
    if (left.length > 0) {
      // The cause stays the rotation's message; what is left is on the hosts' rows.
      await repo.note(db, Number(rotation.id), undefined, clock.now());
      if (changed) {
        await auditOn(
          actor,
          rotation,
          Op.unsettled,
          `${cause}; the new key is still on ${left.join(', ')}: reconciliation takes it off`,
        );
      }
      return false;
    }
    const message = `${cause}; rolled back: the vault keeps the old key and no host holds the new one`;
    if (await repo.settle(db, Number(rotation.id), 'rolling-back', 'failed', message, clock.now())) {
      await auditOn(actor, rotation, Op.failed, message);
    }
    return true;
  }

  /** Phase 2: removes the old key's line from every host; settles `completed` once none holds it. */
  async function removeOld(
    rotation: RotationRow,
    actor: AuditActor,
    progress: ((p: HostProgress) => void) | undefined,
  ): Promise<boolean> {
    const left: string[] = [];
    let changed = false;
    const keyId = Number(rotation.key_id);
    let count = 0;
    for (const h of await repo.hosts(db, Number(rotation.id))) {
      if (h.state !== 'verified') continue;
      const resource = await resourceOf(h);
      if (!resource) continue;
      const twin = await repo.sameKeyDeployedElsewhere(
        db,
        keyId,
        rotation.old_fingerprint,
        resource.id,
        h.user_name,
      );
      if (twin !== undefined) {
        await setHost(
          h,
          'done',
          `the old line is kept: SSH key ${twin} of the vault is the same key and is deployed here`,
        );
        count++;
        continue;
      }
      try {
        const removed = await removeKey(actor, resource, h.user_name, rotation.old_public_key);
        await setHost(h, 'done', `new key verified; old key removed (${removed.result.removed} line(s))`);
      } catch (err) {
        const f = failureOf(err);
        if (!f.accountGone) {
          const message = `new key in place; the old key could not be removed yet: ${f.message}; reconciliation retries`;
          changed ||= h.message !== message;
          left.push(`${label(h)} (${f.message})`);
          await setHost(h, 'verified', message);
          progress?.({
            resourceName: h.resource_name,
            userName: h.user_name,
            step: 'old key left',
            message: f.message,
          });
          continue;
        }
        await setHost(h, 'done', 'the account no longer exists on the host');
      }
      count++;
      progress?.({ resourceName: h.resource_name, userName: h.user_name, step: 'old key removed' });
    }
    if (left.length > 0) {
      const message = `the vault holds the new key, but the old key is still on ${left.join(', ')}: reconciliation removes it`;
      await repo.note(db, Number(rotation.id), message, clock.now());
      if (changed) await auditOn(actor, rotation, Op.unsettled, message);
      return false;
    }
    const message = 'rotated: every host holds the new key only';
    if (await repo.settle(db, Number(rotation.id), 'removing-old', 'completed', message, clock.now())) {
      await auditOn(
        actor,
        rotation,
        Op.completed,
        `the old key ${rotation.old_fingerprint} was removed from every host (${count} in this run)`,
      );
    }
    return true;
  }

  /** Phase 1 failed: recorded as rolling back (durably, first), with the cause. */
  async function startRollBack(rotation: RotationRow, message: string): Promise<void> {
    await repo.setPhase(db, Number(rotation.id), 'adding', 'rolling-back', message, clock.now());
  }

  /**
   * Runs a pending rotation from wherever it is to its end (or as far as the hosts allow): a
   * fresh run (`fresh`) adds the new key everywhere; otherwise phase 1 is decided by reading the
   * hosts. Answers the outcome and the rotation as it is then.
   */
  async function drive(
    rotationId: number,
    actor: AuditActor,
    fresh: boolean,
    progress?: (p: HostProgress) => void,
  ): Promise<KeyRotationOutcome> {
    let rotation = await repo.rotation(db, rotationId);
    if (rotation?.status === 'pending' && rotation.phase === 'adding') {
      const decided = fresh
        ? await addEverywhere(rotation, actor, progress)
        : await decideFromHosts(rotation, actor);
      if (decided.ok) {
        try {
          const refused = await switchOver(rotation, actor);
          if (refused !== undefined) await startRollBack(rotation, refused);
        } catch (err) {
          if (!(err instanceof SettledElsewhere)) throw err;
        }
      } else if (decided.decided) {
        await startRollBack(rotation, decided.message);
      } else {
        const message = `${decided.message}; the rotation stays pending and is retried`;
        await repo.note(db, rotationId, message, clock.now());
        if (rotation.message !== message) await auditOn(actor, rotation, Op.unsettled, message);
      }
      rotation = await repo.rotation(db, rotationId);
    }
    if (rotation?.status === 'pending' && rotation.phase === 'rolling-back') {
      await rollBack(rotation, actor, progress);
    } else if (rotation?.status === 'pending' && rotation.phase === 'removing-old') {
      await removeOld(rotation, actor, progress);
    }
    return outcomeOf(rotationId);
  }

  async function outcomeOf(rotationId: number): Promise<KeyRotationOutcome> {
    const rotation = await repo.rotation(db, rotationId);
    if (!rotation) throw new Error(`rotation ${rotationId} vanished`);
    const view = viewOf(rotation, await keyNameOf(rotation), await repo.hosts(db, rotationId));
    if (rotation.status === 'completed') return { outcome: 'rotated', message: view.message, rotation: view };
    if (rotation.status === 'failed') return { outcome: 'failed', message: view.message, rotation: view };
    const left = view.hosts.filter((h) => h.status === 'old key left' || h.status === 'new key left');
    const message =
      rotation.phase === 'removing-old'
        ? `the vault holds the new key, which opens every host, but the old key is still on ${left.map((h) => `${h.userName}@${h.resourceName}`).join(', ')}: reconciliation removes it`
        : rotation.phase === 'rolling-back'
          ? `${view.message}; the vault keeps the old key, but the new key is still on ${left.map((h) => `${h.userName}@${h.resourceName}`).join(', ')}: reconciliation takes it off`
          : `${view.message || 'the outcome on the hosts is not known yet'}; the rotation stays pending and reconciliation settles it`;
    return { outcome: 'unsettled', message, rotation: view };
  }

  return { drive, outcomeOf };
}

/** The rotation was settled by another run (another node's reconciliation) meanwhile. */
class SettledElsewhere extends Error {
  constructor() {
    super('settled elsewhere');
  }
}

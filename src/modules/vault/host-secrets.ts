import type { Executor } from '../../platform/db/database.js';
import { Secret } from '../../platform/crypto/secret.js';
import { certificateMaterial, sealedAt, sshKeyMaterial, sshKeyRotationMaterial } from './sealing.js';
import type { VaultContext } from './vault.context.js';

/**
 * Secrets the server itself uses to act on a host (issue 13, ADR 033): the passwords of the
 * accounts a remote reset configuration logs in with, an SSH key's private half to prove a key
 * login after putting the key on a host (the pending new key of a rotation too, ADR 035), and a
 * certificate's private key to write onto the servers it is deployed to (ADR 041). Never a
 * release: nothing opened here reaches a caller, a log or an audit text; the callers name which
 * accounts and keys were used.
 */
export interface HostSecrets {
  /** The current passwords of these accounts (accounts without one are left out). */
  openAccountPasswords(executor: Executor, accountIds: readonly number[]): Promise<Map<number, Secret>>;
  /** The private key file (OpenSSH format) and its passphrase; undefined when the key is gone. */
  openSshKey(
    executor: Executor,
    keyId: number,
  ): Promise<{ readonly privateKey: Secret; readonly passphrase: Secret | undefined } | undefined>;
  /**
   * The new private key of a pending rotation of an SSH key (ADR 035), with the key's passphrase
   * (a rotation keeps it): to prove a login with it on each host, and to re-seal it into the
   * key's row at the switch. Undefined when the rotation no longer holds one (switched, failed).
   */
  openPendingSshKey(
    executor: Executor,
    rotationId: number,
  ): Promise<{ readonly privateKey: Secret; readonly passphrase: Secret | undefined } | undefined>;
  /**
   * A certificate's private key (PEM as stored) and its passphrase, to write it onto a server
   * the certificate is deployed to (endpoint 64, ADR 041): it goes to the host, never to a
   * caller. Undefined when the certificate is gone or holds no private key.
   */
  openCertificateKey(
    executor: Executor,
    certificateId: number,
  ): Promise<{ readonly privateKey: Secret; readonly passphrase: Secret | undefined } | undefined>;
}

export function hostSecretOperations(ctx: Pick<VaultContext, 'unseal'>): HostSecrets {
  const { unseal } = ctx;
  return {
    async openAccountPasswords(executor, accountIds) {
      const passwords = new Map<number, Secret>();
      for (const id of new Set(accountIds)) {
        const row = await executor
          .selectFrom('accounts')
          .select(['id', 'name', 'password_sealed'])
          .where('id', '=', id)
          .executeTakeFirst();
        if (!row || row.password_sealed === null) continue;
        const opened = unseal(
          row.password_sealed,
          sealedAt.accountPassword(row.id),
          `password of account ${row.name}`,
        );
        passwords.set(id, new Secret(opened.toString('utf8')));
      }
      return passwords;
    },

    async openSshKey(executor, keyId) {
      const row = await executor
        .selectFrom('ssh_keys')
        .select(['id', 'name', 'private_key_sealed', 'passphrase_sealed'])
        .where('id', '=', keyId)
        .executeTakeFirst();
      if (!row || row.private_key_sealed === null) return undefined;
      const privateKey = unseal(
        row.private_key_sealed,
        sshKeyMaterial.privateKey(row.id),
        `SSH key ${row.name}`,
      );
      const passphrase =
        row.passphrase_sealed === null
          ? undefined
          : new Secret(
              unseal(
                row.passphrase_sealed,
                sshKeyMaterial.passphrase(row.id),
                `passphrase of SSH key ${row.name}`,
              ).toString('utf8'),
            );
      return { privateKey: new Secret(privateKey.toString('utf8')), passphrase };
    },

    async openPendingSshKey(executor, rotationId) {
      const row = await executor
        .selectFrom('ssh_key_rotations')
        .innerJoin('ssh_keys', 'ssh_keys.id', 'ssh_key_rotations.key_id')
        .select([
          'ssh_key_rotations.new_private_key_sealed as sealed',
          'ssh_keys.id as keyId',
          'ssh_keys.name as name',
          'ssh_keys.passphrase_sealed as passphraseSealed',
        ])
        .where('ssh_key_rotations.id', '=', rotationId)
        .executeTakeFirst();
      if (!row || row.sealed === null) return undefined;
      const privateKey = unseal(
        row.sealed,
        sshKeyRotationMaterial.newPrivateKey(rotationId),
        `new key of the rotation of SSH key ${row.name}`,
      );
      const passphrase =
        row.passphraseSealed === null
          ? undefined
          : new Secret(
              unseal(
                row.passphraseSealed,
                sshKeyMaterial.passphrase(Number(row.keyId)),
                `passphrase of SSH key ${row.name}`,
              ).toString('utf8'),
            );
      return { privateKey: new Secret(privateKey.toString('utf8')), passphrase };
    },

    async openCertificateKey(executor, certificateId) {
      const row = await executor
        .selectFrom('certificates')
        .select(['id', 'common_name', 'private_key_sealed', 'passphrase_sealed'])
        .where('id', '=', certificateId)
        .executeTakeFirst();
      if (!row || row.private_key_sealed === null) return undefined;
      const id = Number(row.id);
      const privateKey = unseal(
        row.private_key_sealed,
        certificateMaterial.privateKey(id),
        `private key of certificate ${row.common_name}`,
      );
      const passphrase =
        row.passphrase_sealed === null
          ? undefined
          : new Secret(
              unseal(
                row.passphrase_sealed,
                certificateMaterial.passphrase(id),
                `passphrase of certificate ${row.common_name}`,
              ).toString('utf8'),
            );
      return { privateKey: new Secret(privateKey.toString('utf8')), passphrase };
    },
  };
}

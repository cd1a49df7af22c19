/** `bulwark rotate-master-key`: a new master key; data keys re-wrapped, nothing re-encrypted. */
import type { Command } from 'commander';
import { rotateMasterKey } from '../platform/crypto/rotate-master-key.js';
import { AuditOperation } from '../modules/audit/index.js';
import { operatorActor, withDataDir, withInstance, type InstanceOptions } from './shared.js';

export function registerMasterKeyCommands(program: Command): void {
  const rotate = program
    .command('rotate-master-key')
    .description('replace the master key and re-wrap every data key; running servers keep serving');
  withDataDir(rotate).action(async (options: InstanceOptions) => {
    await withInstance(options, async (instance) => {
      const actor = operatorActor();
      const rotation = await rotateMasterKey(
        instance.database,
        instance.config.masterKeyFile,
        () => new Date(),
        (trx, r) =>
          instance.services.audit.append(trx, actor, {
            auditType: 'User',
            operation: AuditOperation.masterKeyRotated,
            reason: `Master key ${r.newKeyId} replaces ${r.previousKeyIds.join(', ')}; ${r.rewrappedDataKeys} data keys re-wrapped`,
          }),
      );
      process.stdout.write(
        `Master key rotated: ${rotation.newKeyId} replaces ${rotation.previousKeyIds.join(', ')} (${rotation.rewrappedDataKeys} data keys re-wrapped).\n`,
      );
    });
  });
}

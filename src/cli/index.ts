/** The `bulwark` program: one file per noun in this directory, assembled here. */
import { Command } from 'commander';
import { ConfigError } from '../config.js';
import { InstanceError } from '../instance.js';
import { DomainError } from '../platform/errors.js';
import { registerA2aCommands } from './a2a.js';
import { registerAuditCommands } from './audit.js';
import { registerInstanceCommands } from './instance.js';
import { registerMasterKeyCommands } from './master-key.js';
import { registerPolicyCommands } from './policy.js';
import { registerRotateCommands } from './rotate.js';
import { registerRotationCommands } from './rotations.js';
import { registerJobCommands } from './jobs.js';
import { registerRemoteResetCommands } from './remote-reset.js';
import { registerSshKeyCommands } from './ssh-keys.js';
import { registerCertificateCommands } from './certificates.js';
import { registerImportCommands } from './import.js';
import { registerExportCommands } from './export.js';
import { registerBackupCommands } from './backup.js';
import { BackupError } from '../modules/backup/index.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('bulwark')
    .description('Bulwark: a self-hosted privileged password vault with a PMP/PAM360-compatible API')
    .showHelpAfterError();
  registerInstanceCommands(program);
  registerAuditCommands(program);
  registerMasterKeyCommands(program);
  registerPolicyCommands(program);
  registerA2aCommands(program);
  registerJobCommands(program);
  registerRemoteResetCommands(program);
  registerRotateCommands(program);
  registerRotationCommands(program);
  registerSshKeyCommands(program);
  registerCertificateCommands(program);
  registerImportCommands(program);
  registerExportCommands(program);
  registerBackupCommands(program);
  return program;
}

/** Runs the CLI; failures the operator can act on are one line, anything else its stack. */
export async function runCli(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (
      err instanceof InstanceError ||
      err instanceof ConfigError ||
      err instanceof DomainError ||
      err instanceof BackupError
    ) {
      process.stderr.write(`bulwark: ${err.message}\n`);
    } else {
      process.stderr.write(`bulwark: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exit(1);
  }
}

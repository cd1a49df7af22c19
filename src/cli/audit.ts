/** `bulwark audit verify`: the audit hash chain, checked from the database. */
import type { Command } from 'commander';
import { verificationReport } from '../modules/audit/index.js';
import { withDataDir, withInstance, type InstanceOptions } from './shared.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('audit trail tools');
  const verify = audit
    .command('verify')
    .description('check the audit hash chain; report every altered or removed record and exit non-zero');
  withDataDir(verify).action(async (options: InstanceOptions) => {
    await withInstance(options, async (instance) => {
      const progress = process.stderr.isTTY
        ? (checked: number) => process.stderr.write(`\rverified ${checked} records…`)
        : undefined;
      const result = await instance.services.audit.verify(progress);
      if (progress) process.stderr.write('\n');
      process.stdout.write(verificationReport(result));
      if (!result.ok) process.exitCode = 1;
    });
  });
}

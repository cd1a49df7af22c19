/**
 * `bulwark certs share|shares|install-key`: sharing certificates and the SSL agent install key
 * (ADR 040) as the local operator (trusted like `rotate-master-key`, audited under the
 * operating-system user). Certificate groups are managed over the PKI API (73-75, 67-72).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { SharePermission } from '../platform/db/schema.js';
import { InstanceError } from '../instance.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface ShareOptions extends InstanceOptions {
  commonName: string;
  serial?: string;
  user?: string;
  userGroup?: string;
  permission: SharePermission;
  revoke?: boolean;
  json?: boolean;
}

interface SharesOptions extends InstanceOptions {
  commonName: string;
  serial?: string;
  json?: boolean;
}

function permission(value: string): SharePermission {
  const level = value.trim().toLowerCase();
  if (level === 'view' || level === 'modify' || level === 'full') return level;
  throw new InvalidArgumentError('view, modify or full');
}

const selector = (o: { commonName: string; serial?: string }) => ({
  commonName: o.commonName,
  ...(o.serial ? { serial: o.serial } : {}),
});

export function registerCertificateSharingCommands(certs: Command): void {
  const share = certs
    .command('share')
    .description(
      'share a certificate to a user or a user group as endpoints 65 and 66 do, or revoke (69, 70)',
    );
  withJson(withDataDir(share), 'the outcome as JSON')
    .requiredOption('--common-name <name>', "the certificate's common name")
    .option('--serial <hex>', 'its serial number, when several share the common name')
    .option('--user <name>', 'the user to share to')
    .option('--user-group <name>', 'the user group to share to')
    .option(
      '--permission <level>',
      'view (see and fetch), modify, or full (also key, delete, share)',
      permission,
      'view',
    )
    .option('--revoke', 'revoke the share instead')
    .action(async (options: ShareOptions) => {
      if ((options.user === undefined) === (options.userGroup === undefined)) {
        throw new InstanceError('Give either --user or --user-group');
      }
      const grantee =
        options.user !== undefined
          ? ({ kind: 'user', name: options.user } as const)
          : ({ kind: 'group', name: options.userGroup! } as const);
      await withInstance(options, async (instance) => {
        const done = await instance.services.certificateShares.certificate(
          operator(),
          selector(options),
          grantee,
          options.revoke ? { revoke: true } : { grant: options.permission },
        );
        const outcome = {
          certificate: done.certificate,
          grantee: done.grantee,
          ...(options.revoke ? { revoked: true } : { permission: options.permission }),
        };
        if (options.json) out(JSON.stringify(outcome));
        else
          out(
            options.revoke
              ? `Certificate ${done.certificate}: share to ${done.grantee} revoked`
              : `Certificate ${done.certificate} shared to ${done.grantee} with ${options.permission} access`,
          );
      });
    });

  const shares = certs.command('shares').description('who a certificate is shared to (directly)');
  withJson(withDataDir(shares), 'one JSON array')
    .requiredOption('--common-name <name>', "the certificate's common name")
    .option('--serial <hex>', 'its serial number, when several share the common name')
    .action(async (options: SharesOptions) => {
      await withInstance(options, async (instance) => {
        const list = await instance.services.certificateShares.sharesOf(operator(), selector(options));
        const rows = list.map((s) => ({ ...s, grantedAt: new Date(s.grantedAt).toISOString() }));
        if (options.json) out(JSON.stringify(rows));
        else for (const s of rows) out([s.kind, s.grantee, s.permission, s.grantedAt].join('\t'));
      });
    });

  const installKey = certs
    .command('install-key')
    .description(
      'generate the SSL agent install key as endpoint 76 does: printed once, stored only as its SHA-256, the previous key replaced',
    );
  withJson(withDataDir(installKey), 'the key as JSON').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const { key } = await instance.services.sslAgentInstallKeys.generate(operator());
        if (options.json) out(JSON.stringify({ agentInstallKey: key.reveal() }));
        else out(key.reveal());
      });
    },
  );
}

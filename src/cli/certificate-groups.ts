/**
 * `bulwark certs groups`: every certificate group (ADR 040) as the local operator, with its
 * owner and members. Groups are created, edited and shared over the PKI API (73-75, 67-72).
 */
import type { Command } from 'commander';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

export function registerCertificateGroupCommands(certs: Command): void {
  const groups = certs
    .command('groups')
    .description('list the certificate groups: name, owner, member count and members (common names)');
  withJson(withDataDir(groups), 'one JSON array').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const list = await instance.services.certificateGroups.list(operator());
        if (options.json) {
          out(
            JSON.stringify(
              list.map((g) => ({
                ...g,
                createdAt: new Date(g.createdAt).toISOString(),
                modifiedAt: new Date(g.modifiedAt).toISOString(),
                members: g.members.map((m) => ({ ...m, notAfter: new Date(m.notAfter).toISOString() })),
              })),
            ),
          );
          return;
        }
        for (const g of list)
          out(
            [
              g.name,
              g.owner ?? '',
              `${g.members.length} member(s)`,
              g.members.map((m) => m.commonName).join(','),
            ].join('\t'),
          );
      });
    },
  );
}

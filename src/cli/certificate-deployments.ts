/**
 * `bulwark certs deployments <common-name>`: the saved deployment servers of a certificate
 * (ADR 041) as the local operator: where each copy goes, how to verify it, and how the last
 * deployment went. Configuration only: no key material is ever saved with a server.
 */
import type { Command } from 'commander';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface DeploymentsOptions extends InstanceOptions {
  serial?: string;
  json?: boolean;
}

const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());

export function registerCertificateDeploymentCommands(certs: Command): void {
  const deployments = certs
    .command('deployments')
    .argument('<common-name>', "the certificate's common name")
    .description(
      'the saved deployment servers of a certificate (endpoint 64): server, paths, verify address, last outcome',
    );
  withJson(withDataDir(deployments), 'one JSON array')
    .option('--serial <hex>', 'its serial number, when several share the common name')
    .action(async (commonName: string, options: DeploymentsOptions) => {
      await withInstance(options, async (instance) => {
        const { servers } = await instance.services.certificateDeployment.savedServers(operator(), {
          commonName,
          ...(options.serial ? { serial: options.serial } : {}),
        });
        if (options.json) {
          out(
            JSON.stringify(
              servers.map((s) => ({
                ...s,
                lastDeployedAt: iso(s.lastDeployedAt),
              })),
            ),
          );
          return;
        }
        for (const s of servers)
          out(
            [
              s.server,
              [s.certificatePath, s.keyPath, s.pfxPath].filter((p) => p !== undefined).join(','),
              `${s.verifyHost}:${s.verifyPort}`,
              s.lastStatus ?? 'never deployed',
              iso(s.lastDeployedAt) ?? '',
            ].join('\t'),
          );
      });
    });
}

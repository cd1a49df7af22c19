/**
 * `bulwark certs expiring`: what the certificate expiry job recorded (ADR 041), as the local
 * operator. `--check` runs the check now, as the periodic job does (each certificate and
 * threshold alerted once, however often it runs, on however many nodes).
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { ExpiringCertificate } from '../modules/certificates/index.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

interface ExpiringOptions extends InstanceOptions {
  json?: boolean;
  check?: boolean;
  within?: number;
}

function days(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('a number of days');
  return Number(value);
}

const json = (c: ExpiringCertificate) => ({
  id: c.certificateId,
  commonName: c.commonName,
  serial: c.serial,
  sha256: c.sha256,
  notAfter: new Date(c.notAfter).toISOString(),
  daysLeft: c.daysLeft,
  thresholds: c.thresholds,
  lastAlertAt: new Date(c.lastAlertAt).toISOString(),
});

export function registerCertificateExpiryCommands(certs: Command): void {
  const expiring = certs
    .command('expiring')
    .description(
      'certificates the expiry job found within a threshold (BULWARK_CERT_EXPIRY_DAYS): common name, serial, expiry, days left, thresholds',
    );
  withJson(withDataDir(expiring), 'one JSON array')
    .option('--check', 'run the expiry check now (as the periodic job does) before listing')
    .option('--within <days>', 'only certificates expiring within this many days', days)
    .action(async (options: ExpiringOptions) => {
      await withInstance(options, async (instance) => {
        const expiry = instance.services.certificateExpiry;
        if (options.check) {
          const run = await expiry.check();
          if (!options.json)
            out(`Checked ${run.checked} certificate(s); ${run.alerted.length} newly alerted`);
        }
        const list = await expiry.list(operator(), options.within);
        if (options.json) out(JSON.stringify(list.map(json)));
        else
          for (const c of list)
            out(
              [
                c.commonName,
                c.serial,
                new Date(c.notAfter).toISOString().slice(0, 10),
                `${c.daysLeft} day(s)`,
                `thresholds ${c.thresholds.join(',')}`,
              ].join('\t'),
            );
      });
    });
}

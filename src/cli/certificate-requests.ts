/**
 * `bulwark certs ca|csr|sign`: the internal CA and CSRs (ADR 039) from the data directory, as
 * the local operator (audited under the operating-system user). `ca` prints the CA's
 * certificate (creating the CA on first use); `csr` makes a CSR owned by --owner as endpoint 42
 * does; `sign` signs a stored CSR as endpoint 44 does. A key password comes from standard
 * input, never from the command line.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { CertificateRequestView } from '../modules/certificates/index.js';
import {
  operator,
  out,
  readStdin,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

interface CsrOptions extends InstanceOptions {
  commonName: string;
  altNames?: string;
  org?: string;
  orgUnit?: string;
  country?: string;
  key: 'RSA-2048' | 'RSA-4096' | 'EC-P256' | 'EC-P384';
  days: number;
  owner: string;
  passwordStdin?: boolean;
  json?: boolean;
}

interface SignOptions extends InstanceOptions {
  id: number;
  owner: string;
  json?: boolean;
}

const KEYS = ['RSA-2048', 'RSA-4096', 'EC-P256', 'EC-P384'] as const;

function positive(value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError('a positive whole number');
  return Number(value);
}

function keyKind(value: string): CsrOptions['key'] {
  const match = KEYS.find((k) => k.toLowerCase() === value.toLowerCase());
  if (!match) throw new InvalidArgumentError(`one of ${KEYS.join(', ')}`);
  return match;
}

async function readPassword(wanted: boolean | undefined): Promise<string | undefined> {
  return wanted ? (await readStdin()) || undefined : undefined;
}

const requestJson = (r: CertificateRequestView) => ({
  id: r.id,
  commonName: r.commonName,
  subject: r.subject,
  keyAlgorithm: r.keyAlgorithm,
  keyBits: r.keyBits,
  signatureAlgorithm: r.signatureAlgorithm,
  createdBy: r.createdBy,
  certificateId: r.certificateId,
  csr: r.csrPem,
});

export function registerCertificateRequestCommands(certs: Command): void {
  const ca = certs
    .command('ca')
    .description("print the internal CA's certificate (PEM), creating the CA on first use (ADR 039)");
  withDataDir(ca).action(async (options: InstanceOptions) => {
    await withInstance(options, async (instance) => {
      out((await instance.services.internalCa.certificate(operator())).certificatePem);
    });
  });

  const csr = certs
    .command('csr')
    .description('create a CSR with a key made and sealed here, owned by --owner, as endpoint 42 does');
  withJson(withDataDir(csr), 'the CSR as JSON')
    .requiredOption('--common-name <name>', 'the subject common name (CN)')
    .option('--alt-names <names>', 'comma-separated DNS names and IP addresses')
    .option('--org <name>', 'organization (O)')
    .option('--org-unit <name>', 'organizational unit (OU)')
    .option('--country <code>', 'two-letter country code (C)')
    .option('--key <kind>', `the key: ${KEYS.join(', ')}`, keyKind, 'RSA-2048')
    .option('--days <n>', 'validity of the certificate once signed', positive, 365)
    .requiredOption('--owner <user>', 'the user who owns the CSR')
    .option('--password-stdin', 'encrypt the key with a password read from standard input')
    .action(async (options: CsrOptions) => {
      const password = await readPassword(options.passwordStdin);
      const names = (options.altNames ?? '')
        .split(',')
        .map((n) => n.trim())
        .filter(Boolean);
      const isIp = (n: string) => /^[\d.]+$|:/.test(n);
      await withInstance(options, async (instance) => {
        const created = await instance.services.certificateRequests.create(
          operator(),
          {
            commonName: options.commonName,
            dnsNames: names.filter((n) => !isIp(n)),
            ipAddresses: names.filter(isIp),
            organization: options.org,
            organizationalUnit: options.orgUnit,
            country: options.country?.toUpperCase(),
            ...(password ? { password } : {}),
            validity: options.days,
            validityType: 'days',
            keyAlgorithm: options.key,
            signatureHash: options.key === 'EC-P384' ? 'SHA-384' : 'SHA-256',
            keystoreType: 'PKCS12',
          },
          options.owner,
        );
        if (options.json) out(JSON.stringify(requestJson(created)));
        else out(`CSR ${created.id} created\n${created.csrPem}`);
      });
    });

  const sign = certs
    .command('sign')
    .description(
      'sign a stored CSR with the internal CA, as endpoint 44 does; the certificate owned by --owner',
    );
  withJson(withDataDir(sign), 'the CSR and certificate as JSON')
    .requiredOption('--id <n>', "the CSR's number (CSR_ID)", positive)
    .requiredOption('--owner <user>', 'the user who owns the certificate')
    .action(async (options: SignOptions) => {
      await withInstance(options, async (instance) => {
        const signed = await instance.services.certificateRequests.sign(
          operator(),
          options.id,
          undefined,
          options.owner,
        );
        if (options.json) {
          out(
            JSON.stringify({
              request: requestJson(signed.request),
              certificateId: signed.certificate.id,
              serial: signed.certificate.serial,
            }),
          );
        } else {
          out(
            `CSR ${signed.request.id} signed: certificate ${signed.certificate.id}, serial ${signed.certificate.serial}`,
          );
        }
      });
    });
}

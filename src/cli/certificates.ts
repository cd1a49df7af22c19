/**
 * `bulwark certs list|add|export|delete`: the certificate repository (ADR 036) from the data directory,
 * as the local operator (trusted like `rotate-master-key`, audited under the operating-system
 * user). A private key's passphrase comes from standard input, never from the command line.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { InstanceError } from '../instance.js';
import type { CertificateView } from '../modules/certificates/index.js';
import { registerCertificateRequestCommands } from './certificate-requests.js';
import { addInputFromKeystore, keystoreFormat } from '../modules/certificates/certificate-keystores.js';
import { registerCertificateExpiryCommands } from './certificate-expiry.js';
import { registerCertificateSharingCommands } from './certificate-sharing.js';
import { registerCertificateDeploymentCommands } from './certificate-deployments.js';
import { registerCertificateGroupCommands } from './certificate-groups.js';
import {
  operator,
  out,
  secretFromStdin,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

interface ListOptions extends InstanceOptions {
  json?: boolean;
  expiringWithin?: number;
}

interface AddOptions extends InstanceOptions {
  file?: string;
  keystore?: string;
  key?: string;
  owner: string;
  passphraseStdin?: boolean;
  json?: boolean;
}

interface ExportOptions extends InstanceOptions {
  commonName: string;
  serial?: string;
  type: string;
  out: string;
  passwordStdin?: boolean;
  json?: boolean;
}

interface DeleteOptions extends InstanceOptions {
  commonName: string;
  serial?: string;
  json?: boolean;
}

function days(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('a number of days');
  return Number(value);
}

function certificateJson(c: CertificateView) {
  return {
    id: c.id,
    commonName: c.commonName,
    subject: c.subject,
    issuer: c.issuer,
    serial: c.serial,
    sha256: c.sha256,
    keyAlgorithm: c.keyAlgorithm,
    keyBits: c.keyBits,
    curve: c.curve,
    signatureAlgorithm: c.signatureAlgorithm,
    notBefore: new Date(c.notBefore).toISOString(),
    notAfter: new Date(c.notAfter).toISOString(),
    sans: c.sans,
    selfSigned: c.selfSigned,
    ca: c.isCa,
    privateKey: c.hasPrivateKey,
    source: c.source,
    addedBy: c.addedBy,
  };
}

const line = (c: CertificateView) =>
  [
    c.commonName || c.subject,
    c.serial,
    new Date(c.notAfter).toISOString().slice(0, 10),
    `${c.keyAlgorithm} ${c.keyBits}`,
    c.signatureAlgorithm,
    c.source,
    c.addedBy,
    ...(c.hasPrivateKey ? ['private key'] : []),
  ].join('\t');

export function registerCertificateCommands(program: Command): void {
  const certs = program
    .command('certs')
    .description('the certificate repository: certificates parsed once, keys sealed (ADR 036)');

  const list = certs
    .command('list')
    .description('list every certificate: common name, serial, expiry, key, signature, source, owner');
  withJson(withDataDir(list), 'one JSON array')
    .option('--expiring-within <days>', 'only certificates expiring within this many days', days)
    .action(async (options: ListOptions) => {
      await withInstance(options, async (instance) => {
        const all = await instance.services.certificates.list(operator(), {
          expiringWithinDays: options.expiringWithin,
        });
        if (options.json) out(JSON.stringify(all.map(certificateJson)));
        else for (const c of all) out(line(c));
      });
    });

  const add = certs
    .command('add')
    .description(
      'add a certificate file (PEM, possibly a chain, or DER) or a keystore as endpoint 38 does, owned by --owner',
    );
  withJson(withDataDir(add), 'the certificates added as JSON')
    .option('--file <path>', 'the certificate file')
    .option('--key <path>', "the certificate's private key (PEM)")
    .option(
      '--keystore <path>',
      'a PKCS#12 or JKS keystore instead of --file and --key (its password: --passphrase-stdin)',
    )
    .requiredOption('--owner <user>', 'the user who owns the certificate')
    .option(
      '--passphrase-stdin',
      "read the private key's passphrase (with --keystore: the keystore password) from standard input",
    )
    .action(async (options: AddOptions) => {
      if ((options.file === undefined) === (options.keystore === undefined)) {
        throw new InstanceError('Give either --file (with --key) or --keystore');
      }
      if (options.keystore !== undefined && (options.key !== undefined || !options.passphraseStdin)) {
        throw new InstanceError(
          '--keystore carries its own key: give no --key, and its password with --passphrase-stdin',
        );
      }
      const passphrase = await secretFromStdin(options.passphraseStdin, '--passphrase-stdin');
      const input =
        options.keystore !== undefined
          ? addInputFromKeystore(await readFile(options.keystore), passphrase ?? '')
          : {
              certificate: await readFile(options.file!),
              privateKey: options.key === undefined ? undefined : await readFile(options.key, 'utf8'),
              passphrase,
            };
      await withInstance(options, async (instance) => {
        const added = await instance.services.certificates.add(operator(), input, options.owner);
        const all = [added.certificate, ...added.chain];
        if (options.json) out(JSON.stringify(all.map(certificateJson)));
        else for (const c of all) out(`Certificate added: ${line(c)}`);
      });
    });

  const exporting = certs
    .command('export')
    .description(
      'write a certificate with its private key and issuers as a PKCS#12 or JKS keystore, as endpoint 36 does',
    );
  withJson(withDataDir(exporting), 'what was written as JSON')
    .requiredOption('--common-name <name>', "the certificate's common name")
    .option('--serial <hex>', 'its serial number, when several share the common name')
    .option('--type <PKCS12|JKS>', 'the keystore format', 'PKCS12')
    .requiredOption('--out <path>', 'the keystore file to create (mode 0600; never overwritten)')
    .option(
      '--password-stdin',
      "read the keystore password from standard input (default: the key's stored passphrase)",
    )
    .action(async (options: ExportOptions) => {
      const format = keystoreFormat(options.type);
      if (existsSync(options.out)) throw new InstanceError(`${options.out} exists: it is never overwritten`);
      const password = await secretFromStdin(options.passwordStdin, '--password-stdin');
      await withInstance(options, async (instance) => {
        const file = await instance.services.certificates.keystore(
          operator(),
          { commonName: options.commonName, ...(options.serial ? { serial: options.serial } : {}) },
          { format, ...(password ? { password } : {}) },
        );
        // The key leaves in this file: only its owner reads it, and an existing file is kept.
        await writeFile(options.out, file.content, { mode: 0o600, flag: 'wx' });
        const written = { file: options.out, format, certificate: certificateJson(file.view) };
        if (options.json) out(JSON.stringify(written));
        else out(`Keystore written: ${options.out} (${format}) ${line(file.view)}`);
      });
    });

  const remove = certs.command('delete').description('delete a certificate as endpoint 39 does');
  withJson(withDataDir(remove), 'the certificate deleted as JSON')
    .requiredOption('--common-name <name>', "the certificate's common name")
    .option('--serial <hex>', 'its serial number, when several share the common name')
    .action(async (options: DeleteOptions) => {
      await withInstance(options, async (instance) => {
        const gone = await instance.services.certificates.remove(operator(), {
          commonName: options.commonName,
          ...(options.serial ? { serial: options.serial } : {}),
        });
        if (options.json) out(JSON.stringify(certificateJson(gone)));
        else out(`Certificate deleted: ${line(gone)}`);
      });
    });

  registerCertificateExpiryCommands(certs);
  registerCertificateSharingCommands(certs);
  registerCertificateRequestCommands(certs);
  registerCertificateDeploymentCommands(certs);
  registerCertificateGroupCommands(certs);
}

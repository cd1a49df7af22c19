/** `bulwark a2a …`: applications, their client certificates and their PMP_API toolkit (ADR 014, 015). */
import { InvalidArgumentError, type Command } from 'commander';
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { InstanceError, type OpenInstance } from '../instance.js';
import { certificateFileBase, writeToolkit, type Application } from '../modules/applications/index.js';
import { fileExists, writeFileDurably } from '../platform/fs.js';
import { createClientCertificate } from '../platform/tls.js';
import { operator, withDataDir, withInstance, withJson, writingTo, type InstanceOptions } from './shared.js';

interface AppOptions extends InstanceOptions {
  name: string;
}

function days(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InvalidArgumentError('from 1 to 3650 days');
  return n;
}

/** `--name APP`, which every command but `register` and `list` uses to name the application. */
function withApplication(command: Command): Command {
  return withDataDir(command).requiredOption('--name <name>', 'the application');
}

function findApplication(instance: OpenInstance, name: string): Promise<Application> {
  return instance.services.applications.find(operator(), { name });
}

function applicationJson(a: Application) {
  return {
    name: a.name,
    host: a.host,
    resourceType: a.resourceType,
    operations: a.operations,
    inheritUser: a.username,
    certificates: a.certificates.map((c) => ({
      fingerprint: c.fingerprint,
      subject: c.subject,
      serial: c.serial,
      notBefore: new Date(c.notBefore).toISOString(),
      notAfter: new Date(c.notAfter).toISOString(),
    })),
  };
}

export function registerA2aCommands(program: Command): void {
  const a2a = program
    .command('a2a')
    .description(
      'application-to-application password management: applications and their client certificates',
    );

  const register = a2a
    .command('register')
    .description('register an application that authenticates with a client certificate');
  withDataDir(register)
    .requiredOption('--name <name>', 'the application name (unique, case-insensitive)')
    .requiredOption('--host <host>', 'the DNS name or IP address the application connects from')
    .requiredOption('--resource-type <type>', 'Linux or Windows')
    .requiredOption('--operations <list>', 'comma-separated: RETRIEVE, RESET_LOCAL, RESET_REMOTE, CREATE')
    .requiredOption('--inherit-user <user>', 'the user whose permissions the application inherits')
    .action(
      async (
        options: AppOptions & { host: string; resourceType: string; operations: string; inheritUser: string },
      ) => {
        await withInstance(options, async (instance) => {
          const app = await instance.services.applications.register(operator(), {
            name: options.name,
            host: options.host,
            resourceType: options.resourceType,
            operations: options.operations.split(','),
            inheritUser: options.inheritUser,
          });
          process.stdout.write(
            `Application ${app.name} registered (host ${app.host}, ${app.resourceType}, ${app.operations.join(',')}; inherits ${app.username}).\n`,
          );
        });
      },
    );

  const importCert = a2a
    .command('import-cert <cert>')
    .description('trust a client certificate (PEM) for an application; it works at once, no restart');
  withApplication(importCert).action(async (file: string, options: AppOptions) => {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      throw new InstanceError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    await withInstance(options, async (instance) => {
      const cert = await instance.services.applications.importCertificate(
        operator(),
        { name: options.name },
        pem,
      );
      process.stdout.write(
        `Certificate ${cert.fingerprint} (${cert.subject}) imported for application ${cert.application.name}.\n`,
      );
    });
  });

  const createCert = a2a
    .command('create-cert')
    .description('create a client key and certificate for an application and import the certificate');
  withApplication(createCert)
    .requiredOption('--out <dir>', 'where to write <name>.key (mode 0600) and <name>.crt')
    .option('--days <days>', 'validity in days (default 365)', days)
    .action(async (options: AppOptions & { out: string; days?: number }) => {
      await withInstance(options, async (instance) => {
        const known = await findApplication(instance, options.name);
        const generated = await createClientCertificate(known.name, new Date(), options.days);
        const base = certificateFileBase(known.name);
        const keyFile = path.join(options.out, `${base}.key`);
        const certFile = path.join(options.out, `${base}.crt`);
        for (const file of [keyFile, certFile]) {
          if (await fileExists(file)) {
            throw new InstanceError(
              `${file} exists; remove it or choose another --out (a key is never overwritten)`,
            );
          }
        }
        // Files first: a certificate is trusted only once its key is safely on disk.
        await writingTo(options.out, async () => {
          await mkdir(options.out, { recursive: true, mode: 0o700 });
          await writeFileDurably(keyFile, generated.keyPem, 0o600);
          await writeFileDurably(certFile, generated.certPem, 0o644);
        });
        let cert;
        try {
          cert = await instance.services.applications.importCertificate(
            operator(),
            { id: known.id },
            generated.certPem,
          );
        } catch (err) {
          await Promise.all([rm(keyFile, { force: true }), rm(certFile, { force: true })]);
          throw err;
        }
        process.stdout.write(
          `Certificate ${cert.fingerprint} imported for application ${known.name}.\n  key:         ${keyFile}\n  certificate: ${certFile}\n`,
        );
      });
    });

  const toolkit = a2a
    .command('toolkit')
    .description('write the PMP_API toolkit of an application (PMP_API.sh, PMP_API.bat, PMP_API.conf, lib/)');
  withApplication(toolkit)
    .requiredOption('--server <url>', "https://HOST:PORT: the server as the application's host reaches it")
    .requiredOption('--out <dir>', 'the directory to write the toolkit into')
    .action(async (options: AppOptions & { server: string; out: string }) => {
      await withInstance(options, async (instance) => {
        const application = await findApplication(instance, options.name);
        const written = await writingTo(options.out, () =>
          writeToolkit(
            {
              application,
              serverUrl: options.server,
              serverCertificatePem: instance.tls.cert,
              now: new Date(),
            },
            options.out,
          ),
        );
        process.stdout.write(`PMP_API toolkit of application ${application.name} written:\n`);
        for (const file of written.files) process.stdout.write(`  ${file}\n`);
        if (written.keptConf) {
          process.stdout.write(
            `  (${path.join(path.resolve(options.out), 'PMP_API.conf')} exists and was kept)\n`,
          );
        }
        for (const warning of written.warnings) process.stderr.write(`bulwark: warning: ${warning}\n`);
      });
    });

  const list = a2a.command('list').description('list the registered applications and their certificates');
  withJson(withDataDir(list), 'print the applications as a JSON array').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const applications = await instance.services.applications.list(operator());
        if (options.json) {
          process.stdout.write(JSON.stringify(applications.map(applicationJson)) + '\n');
          return;
        }
        for (const a of applications) {
          process.stdout.write(
            `${a.name}\thost ${a.host}\t${a.resourceType}\t${a.operations.join(',')}\tinherits ${a.username}\t${a.certificates.length} certificate(s)\n`,
          );
          for (const c of a.certificates) {
            process.stdout.write(
              `  ${c.fingerprint}\t${c.subject}\tuntil ${new Date(c.notAfter).toISOString()}\n`,
            );
          }
        }
      });
    },
  );

  const revoke = a2a
    .command('revoke-cert <fingerprint>')
    .description('stop trusting one certificate of an application (its SHA-256 fingerprint); at once');
  withApplication(revoke).action(async (fingerprint: string, options: AppOptions) => {
    await withInstance(options, async (instance) => {
      const cert = await instance.services.applications.revokeCertificate(
        operator(),
        { name: options.name },
        fingerprint,
      );
      process.stdout.write(
        `Certificate ${cert.fingerprint} (${cert.subject}) of application ${cert.application.name} revoked.\n`,
      );
    });
  });

  const remove = a2a
    .command('remove')
    .description('remove an application and every certificate trusted for it');
  withApplication(remove).action(async (options: AppOptions) => {
    await withInstance(options, async (instance) => {
      const name = await instance.services.applications.remove(operator(), { name: options.name });
      process.stdout.write(`Application ${name} removed.\n`);
    });
  });
}

#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { userInfo } from 'node:os';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config, type ConfigOverrides } from './config.js';
import { InstanceError, initInstance, isInitialised, openInstance } from './instance.js';
import { systemClock } from './platform/clock.js';
import { rotateMasterKey } from './platform/crypto/rotate-master-key.js';
import type { CallOrigin } from './platform/principal.js';
import { AuditOperation } from './modules/audit/index.js';
import type { BootstrapCredentials } from './modules/identity/index.js';
import { policyAttributes, readRuleAttributes, type PolicyDraft } from './modules/policies/index.js';
import { FieldReader } from './http/field-reader.js';
import { DomainError } from './platform/errors.js';
import { createClientCertificate } from './platform/tls.js';
import { fileExists, writeFileDurably } from './platform/fs.js';
import { readFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { certificateFileBase, writeToolkit, type Application } from './modules/applications/index.js';

// Everything Bulwark creates (database, WAL, keys) is private to its user.
process.umask(0o077);

/** What the CLI records as the client of its own actions. */
const CLI_ORIGIN: CallOrigin = { clientIp: '127.0.0.1', client: 'CLI' };

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}

function configFrom(options: ConfigOverrides): Config {
  return loadConfig(process.env, options);
}

function printCredentials(dataDir: string, credentials: BootstrapCredentials): void {
  process.stdout.write(
    [
      `Bulwark initialised in ${dataDir}`,
      '',
      `  Administrator:   ${credentials.username}`,
      `  Password:        ${credentials.password}`,
      `  API auth token:  ${credentials.authToken}`,
      '',
      'These are shown once and stored only as hashes. Keep them somewhere safe now.',
      '',
    ].join('\n'),
  );
}

async function serve(config: Config): Promise<void> {
  const instance = await openInstance(config, systemClock);
  const app = buildApp({ config, services: instance.services, tls: instance.tls });
  const cluster = instance.services.cluster;
  // Expired checkouts are checked in even when nobody asks for the account again; on
  // PostgreSQL by the primary node only (the holder of the scheduler lease, ADR 013).
  const stopSweeper = instance.services.workflow.startSweeper(
    (err) => app.log.error({ err }, 'automatic check-in of expired checkouts failed'),
    () => cluster.isPrimary(),
  );
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    stopSweeper();
    void app
      .close()
      .then(() => instance.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : config.port;
  // Heartbeat and scheduler lease (PostgreSQL); the node leaves the cluster in instance.close().
  await cluster.start({ host: config.host, port: boundPort }, (err) =>
    app.log.warn({ err }, 'cluster heartbeat failed; this node does not act as primary until it succeeds'),
  );
  app.log.info(`Bulwark is serving https://${config.host}:${boundPort} (${instance.database.dialect})`);
  // Machine-readable line for scripts and tests that start the server on port 0.
  process.stdout.write(`BULWARK_LISTENING port=${boundPort}\n`);
}

const program = new Command()
  .name('bulwark')
  .description('Bulwark: a self-hosted privileged password vault with a PMP/PAM360-compatible API')
  .showHelpAfterError();

program
  .command('init')
  .description('create a data directory: master key, TLS certificate, database, admin user and API token')
  .requiredOption('--data-dir <dir>', 'the data directory to create')
  .option('--json', 'print {"username","password","authToken"} as one JSON object')
  .action(async (options: { dataDir: string; json?: boolean }) => {
    const config = configFrom({ dataDir: options.dataDir });
    const credentials = await initInstance(config, systemClock, CLI_ORIGIN);
    if (options.json) {
      process.stdout.write(JSON.stringify(credentials) + '\n');
    } else {
      printCredentials(config.dataDir, credentials);
    }
  });

program
  .command('serve')
  .description('serve the HTTPS API')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .option('--port <port>', 'port to listen on (BULWARK_PORT, default 7272)', port)
  .option('--host <host>', 'address to listen on (BULWARK_HOST, default 0.0.0.0)')
  .action(async (options: { dataDir?: string; port?: number; host?: string }) => {
    await serve(configFrom(options));
  });

program
  .command('start')
  .description('initialise the data directory if it is new (printing the admin credentials once), then serve')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR, default ./data)')
  .option('--port <port>', 'port to listen on', port)
  .option('--host <host>', 'address to listen on')
  .action(async (options: { dataDir?: string; port?: number; host?: string }) => {
    const config = configFrom(options);
    if (!(await isInitialised(config)))
      printCredentials(config.dataDir, await initInstance(config, systemClock, CLI_ORIGIN));
    await serve(config);
  });

const audit = program.command('audit').description('audit trail tools');
audit
  .command('verify')
  .description('check the audit hash chain; report the first altered or removed record and exit non-zero')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .action(async (options: { dataDir?: string }) => {
    const instance = await openInstance(configFrom(options), systemClock);
    try {
      const progress = process.stderr.isTTY
        ? (checked: number) => process.stderr.write(`\rverified ${checked} records…`)
        : undefined;
      const result = await instance.services.audit.verify(progress);
      if (progress) process.stderr.write('\n');
      if (result.ok) {
        process.stdout.write(`Audit trail intact: ${result.checked} records verified.\n`);
      } else {
        process.stdout.write(
          `Audit trail TAMPERED at record ${result.problem!.seq}: ${result.problem!.message}.\n`,
        );
        process.exitCode = 1;
      }
    } finally {
      await instance.close();
    }
  });

program
  .command('rotate-master-key')
  .description('replace the master key and re-wrap every data key; running servers keep serving')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .action(async (options: { dataDir?: string }) => {
    const config = configFrom(options);
    const instance = await openInstance(config, systemClock);
    try {
      const actor = { userId: null, username: userInfo().username, ...CLI_ORIGIN };
      const rotation = await rotateMasterKey(
        instance.database,
        config.masterKeyFile,
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
    } finally {
      await instance.close();
    }
  });

/** `--set "PASSWORD MIN LENGTH=12"`, repeatable: endpoint 77's attribute names. */
function collectSetting(value: string, previous: Record<string, string>): Record<string, string> {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('expected ATTRIBUTE=VALUE, e.g. "PASSWORD MIN LENGTH=12"');
  return { ...previous, [value.slice(0, at).trim()]: value.slice(at + 1).trim() };
}

interface PolicyOptions {
  dataDir?: string;
  name?: string;
  description?: string;
  default?: boolean;
  set: Record<string, string>;
}

function policyDraft(options: PolicyOptions): PolicyDraft {
  return {
    name: options.name,
    description: options.description,
    isDefault: options.default,
    rules: readRuleAttributes(FieldReader.root(options.set)),
  };
}

/** Opens the instance like `audit verify`; changes are audited as the operating-system user. */
async function withPolicies(
  dataDir: string | undefined,
  work: (instance: Awaited<ReturnType<typeof openInstance>>) => Promise<void>,
): Promise<void> {
  const instance = await openInstance(configFrom({ dataDir }), systemClock);
  try {
    await work(instance);
  } finally {
    await instance.close();
  }
}

const operator = () => ({ operator: { userId: null, username: userInfo().username, ...CLI_ORIGIN } });

async function policyId(instance: Awaited<ReturnType<typeof openInstance>>, ref: string): Promise<number> {
  const policy = await instance.services.policies.find(instance.database.db, ref);
  if (!policy) throw new InstanceError(`there is no password policy "${ref}"`);
  return policy.id;
}

const policy = program.command('policy').description('password policies: list, create, edit, delete');
policy
  .command('list')
  .description('list every password policy (--json: every attribute, as endpoint 77 shows them)')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .option('--json', 'print the policies as a JSON array')
  .action(async (options: { dataDir?: string; json?: boolean }) => {
    await withPolicies(options.dataDir, async (instance) => {
      const list = await instance.services.policies.list();
      if (options.json) {
        process.stdout.write(JSON.stringify(list.map(policyAttributes)) + '\n');
        return;
      }
      for (const p of list) {
        const tags = [p.isDefault ? 'default' : '', p.builtIn ? 'built-in' : ''].filter(Boolean).join(', ');
        process.stdout.write(`${p.id}\t${p.name}${tags ? ` (${tags})` : ''}\t${p.description}\n`);
      }
    });
  });
for (const verb of ['create', 'edit'] as const) {
  const command = policy
    .command(verb === 'create' ? 'create' : 'edit <policy>')
    .description(
      verb === 'create'
        ? 'create a custom policy; unset attributes are the most lenient'
        : 'change attributes of a policy (by id or name); unset attributes keep their value',
    )
    .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
    .option('--description <text>', 'what the policy is for')
    .option('--default', 'make it the default policy')
    .option(
      '--set <attribute=value>',
      'an attribute as endpoint 77 names it (repeatable)',
      collectSetting,
      {},
    );
  if (verb === 'create') command.requiredOption('--name <name>', 'the policy name');
  else command.option('--name <name>', 'a new name (only for a policy not in use)');
  command.action(async (...args: unknown[]) => {
    const ref = verb === 'edit' ? (args[0] as string) : undefined;
    const options = (verb === 'edit' ? args[1] : args[0]) as PolicyOptions;
    await withPolicies(options.dataDir, async (instance) => {
      const policies = instance.services.policies;
      const saved =
        ref === undefined
          ? await policies.create(operator(), policyDraft(options))
          : await policies.edit(operator(), await policyId(instance, ref), policyDraft(options));
      process.stdout.write(
        `Password policy ${saved.name} (${saved.id}) ${verb === 'create' ? 'created' : 'modified'}.\n`,
      );
    });
  });
}
policy
  .command('delete <policy>')
  .description('delete a custom policy (by id or name) that no resource, account or user uses')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .action(async (ref: string, options: { dataDir?: string }) => {
    await withPolicies(options.dataDir, async (instance) => {
      const name = await instance.services.policies.delete(operator(), await policyId(instance, ref));
      process.stdout.write(`Password policy ${name} deleted.\n`);
    });
  });

const a2a = program
  .command('a2a')
  .description('application-to-application password management: applications and their client certificates');
a2a
  .command('register')
  .description('register an application that authenticates with a client certificate')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application name (unique, case-insensitive)')
  .requiredOption('--host <host>', 'the DNS name or IP address the application connects from')
  .requiredOption('--resource-type <type>', 'Linux or Windows')
  .requiredOption('--operations <list>', 'comma-separated: RETRIEVE, RESET_LOCAL, RESET_REMOTE, CREATE')
  .requiredOption('--inherit-user <user>', 'the user whose permissions the application inherits')
  .action(
    async (options: {
      dataDir?: string;
      name: string;
      host: string;
      resourceType: string;
      operations: string;
      inheritUser: string;
    }) => {
      await withPolicies(options.dataDir, async (instance) => {
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
a2a
  .command('import-cert <cert>')
  .description('trust a client certificate (PEM) for an application; it works at once, no restart')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application')
  .action(async (file: string, options: { dataDir?: string; name: string }) => {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (err) {
      throw new InstanceError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    await withPolicies(options.dataDir, async (instance) => {
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
a2a
  .command('create-cert')
  .description('create a client key and certificate for an application and import the certificate')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application')
  .requiredOption('--out <dir>', 'where to write <name>.key (mode 0600) and <name>.crt')
  .option('--days <days>', 'validity in days (default 365)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > 3650) throw new InvalidArgumentError('from 1 to 3650 days');
    return n;
  })
  .action(async (options: { dataDir?: string; name: string; out: string; days?: number }) => {
    await withPolicies(options.dataDir, async (instance) => {
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
a2a
  .command('toolkit')
  .description('write the PMP_API toolkit of an application (PMP_API.sh, PMP_API.bat, PMP_API.conf, lib/)')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application')
  .requiredOption('--server <url>', "https://HOST:PORT: the server as the application's host reaches it")
  .requiredOption('--out <dir>', 'the directory to write the toolkit into')
  .action(async (options: { dataDir?: string; name: string; server: string; out: string }) => {
    await withPolicies(options.dataDir, async (instance) => {
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
a2a
  .command('list')
  .description('list the registered applications and their certificates')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .option('--json', 'print the applications as a JSON array')
  .action(async (options: { dataDir?: string; json?: boolean }) => {
    await withPolicies(options.dataDir, async (instance) => {
      const list = await instance.services.applications.list(operator());
      if (options.json) {
        process.stdout.write(JSON.stringify(list.map(applicationJson)) + '\n');
        return;
      }
      for (const a of list) {
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
  });
a2a
  .command('revoke-cert <fingerprint>')
  .description('stop trusting one certificate of an application (its SHA-256 fingerprint); at once')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application')
  .action(async (fingerprint: string, options: { dataDir?: string; name: string }) => {
    await withPolicies(options.dataDir, async (instance) => {
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
a2a
  .command('remove')
  .description('remove an application and every certificate trusted for it')
  .option('--data-dir <dir>', 'the data directory (BULWARK_DATA_DIR)')
  .requiredOption('--name <name>', 'the application')
  .action(async (options: { dataDir?: string; name: string }) => {
    await withPolicies(options.dataDir, async (instance) => {
      const name = await instance.services.applications.remove(operator(), { name: options.name });
      process.stdout.write(`Application ${name} removed.\n`);
    });
  });

/** File-system failures while writing into a directory the operator named, in one line. */
async function writingTo<T>(directory: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new InstanceError(`cannot write into ${directory}: ${(err as Error).message}`);
  }
}

async function findApplication(
  instance: Awaited<ReturnType<typeof openInstance>>,
  name: string,
): Promise<Application> {
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

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof InstanceError || err instanceof ConfigError || err instanceof DomainError) {
    process.stderr.write(`bulwark: ${err.message}\n`);
  } else {
    process.stderr.write(`bulwark: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

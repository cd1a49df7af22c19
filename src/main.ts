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
  // Expired checkouts are checked in even when nobody asks for the account again.
  const stopSweeper = instance.services.workflow.startSweeper((err) =>
    app.log.error({ err }, 'automatic check-in of expired checkouts failed'),
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

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof InstanceError || err instanceof ConfigError) {
    process.stderr.write(`bulwark: ${err.message}\n`);
  } else {
    process.stderr.write(`bulwark: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});

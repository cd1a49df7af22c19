/** `bulwark init`, `serve` and `start`: create a data directory, serve the HTTPS API. */
import type { Command } from 'commander';
import { buildApp } from '../app.js';
import type { Config } from '../config.js';
import { initInstance, isInitialised, openInstance } from '../instance.js';
import { systemClock } from '../platform/clock.js';
import { masterKeyFileWarning } from '../platform/crypto/master-key.js';
import { nodeRuntimeWarning } from '../platform/node-runtime.js';
import type { BootstrapCredentials } from '../modules/identity/index.js';
import {
  CLI_ORIGIN,
  configFrom,
  withDataDir,
  withJson,
  withListenOptions,
  type InstanceOptions,
  type ServerOptions,
} from './shared.js';

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

/** Serves until SIGTERM or SIGINT, then finishes in-flight requests and leaves the cluster. */
async function serve(config: Config): Promise<void> {
  const instance = await openInstance(config, systemClock);
  // A master key file others may read is a warning, not a refusal (ADR 022).
  const keyWarning = await masterKeyFileWarning(config.masterKeyFile);
  if (keyWarning !== undefined) process.stderr.write(`bulwark: warning: ${keyWarning}\n`);
  const runtimeWarning = nodeRuntimeWarning();
  if (runtimeWarning !== undefined) process.stderr.write(`bulwark: warning: ${runtimeWarning}\n`);
  const app = buildApp({ config, services: instance.services, tls: instance.tls });
  const cluster = instance.services.cluster;
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    // A load balancer polling /readyz stops sending here while in-flight requests finish.
    instance.services.readiness.stopServing();
    app.log.info({ signal }, 'shutting down');
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
  // Background jobs (ADR 024), among them the periodic check-in of expired checkouts: each job
  // runs on exactly one node; instance.close() stops the runner and releases what it holds.
  // A run that fails is logged by kind, id and attempt; not its error message, which may name a
  // target host (logs never quote one): it is on the job, for `bulwark jobs show --id N`.
  instance.services.jobs.start(
    (err) => app.log.error({ err }, 'job runner failed'),
    ({ jobId, kind, attempt, retryAt }) =>
      app.log.warn(
        { job: jobId, kind, attempt, retryAt: retryAt && new Date(retryAt).toISOString() },
        retryAt === undefined ? 'job failed' : 'job run failed; it will be retried',
      ),
  );
  // Rotations a crash left pending are settled once now (those past their grace period) and then
  // periodically by the `rotation.reconcile` job (ADR 028).
  void instance.services.rotation
    .reconcilePending()
    .then(
      ({ settled, unsettled }) =>
        (settled > 0 || unsettled > 0) &&
        app.log.info({ settled, unsettled }, 'pending password rotations reconciled at start'),
    )
    .catch((err: unknown) => app.log.error({ err }, 'reconciling pending password rotations failed'));
  // Likewise SSH key rotations a crash left pending (ADR 035; then the `ssh-key-rotation.reconcile` job).
  void instance.services.sshKeyRotation
    .reconcilePending()
    .then(
      ({ settled, unsettled }) =>
        (settled > 0 || unsettled > 0) &&
        app.log.info({ settled, unsettled }, 'pending SSH key rotations reconciled at start'),
    )
    .catch((err: unknown) => app.log.error({ err }, 'reconciling pending SSH key rotations failed'));
  app.log.info(`Bulwark is serving https://${config.host}:${boundPort} (${instance.database.dialect})`);
  // Machine-readable line for scripts and tests that start the server on port 0.
  process.stdout.write(`BULWARK_LISTENING port=${boundPort}\n`);
}

export function registerInstanceCommands(program: Command): void {
  const init = program
    .command('init')
    .description('create a data directory: master key, TLS certificate, database, admin user and API token');
  withDataDir(init, { required: true });
  withJson(init, 'print {"username","password","authToken"} as one JSON object').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      const config = configFrom({ dataDir: options.dataDir });
      const credentials = await initInstance(config, systemClock, CLI_ORIGIN);
      if (options.json) process.stdout.write(JSON.stringify(credentials) + '\n');
      else printCredentials(config.dataDir, credentials);
    },
  );

  const serveCommand = program.command('serve').description('serve the HTTPS API');
  withListenOptions(withDataDir(serveCommand)).action(async (options: ServerOptions) => {
    await serve(configFrom(options));
  });

  const start = program
    .command('start')
    .description(
      'initialise the data directory if it is new (printing the admin credentials once), then serve',
    );
  withListenOptions(withDataDir(start)).action(async (options: ServerOptions) => {
    const config = configFrom(options);
    if (!(await isInitialised(config)))
      printCredentials(config.dataDir, await initInstance(config, systemClock, CLI_ORIGIN));
    await serve(config);
  });
}

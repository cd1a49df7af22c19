/**
 * `bulwark remote-reset show|configure|confirm-host|remove` and `bulwark hostkeys list|accept|remove`: the
 * remote password reset configuration of resources and the pinned SSH host keys (ADR 027),
 * audited as the operating-system user.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { FieldReader } from '../http/field-reader.js';
import { InstanceError, type OpenInstance } from '../instance.js';
import {
  configurationDetails,
  readDraftFields,
  type OfferedHostKey,
  type PinnedHostKey,
} from '../modules/remote-reset/index.js';
import {
  operator,
  out,
  readStdin,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';

interface ResourceOptions extends InstanceOptions {
  resource: string;
  json?: boolean;
}

interface ConfigureOptions extends ResourceOptions {
  type?: string;
  port?: string;
  loginAccount?: string;
  resetAccount?: string;
  elevation?: string;
  rootAccount?: string;
  userPrompt?: string;
  rootPrompt?: string;
  landingServer?: string;
  database?: string;
  authentication?: string;
  privateKeyFile?: string;
  passphraseStdin?: boolean;
  removeEnter?: boolean;
  resourceIdentifier?: string;
}

function port(value: string): string {
  if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65_535) {
    throw new InvalidArgumentError('a port number from 1 to 65535');
  }
  return value;
}

async function resourceId(instance: OpenInstance, name: string): Promise<number> {
  return instance.services.remoteReset.resourceIdByName(operator(), name);
}

function pinnedJson(k: PinnedHostKey) {
  return {
    host: k.host,
    port: k.port,
    algorithm: k.algorithm,
    fingerprint: k.fingerprint,
    key: k.key,
    pinnedAt: new Date(k.pinnedAt).toISOString(),
    pinnedHow: k.pinnedHow,
    pinnedBy: k.pinnedBy,
  };
}

function offeredJson(k: OfferedHostKey) {
  return {
    host: k.host,
    port: k.port,
    algorithm: k.algorithm,
    fingerprint: k.fingerprint,
    key: k.key,
    firstOfferedAt: new Date(k.firstOfferedAt).toISOString(),
    lastOfferedAt: new Date(k.lastOfferedAt).toISOString(),
    timesOffered: k.timesOffered,
  };
}

export function registerRemoteResetCommands(program: Command): void {
  const rr = program
    .command('remote-reset')
    .description(
      'how passwords of a resource are changed on the target (endpoint 63): show, configure, remove',
    );

  const show = rr.command('show').description('show the configuration of a resource (no secret)');
  withJson(withDataDir(show), 'print the configuration as JSON (endpoint 63 field names)')
    .requiredOption('--resource <name>', 'the resource')
    .action(async (options: ResourceOptions) => {
      await withInstance(options, async (instance) => {
        const view = await instance.services.remoteReset.show(
          operator(),
          await resourceId(instance, options.resource),
        );
        const fields = configurationDetails(view, instance.services.time);
        if (options.json) {
          out(JSON.stringify(fields));
          return;
        }
        for (const [name, value] of Object.entries(fields)) out(`${name}: ${value}`);
      });
    });

  const configure = rr
    .command('configure')
    .description(
      'configure remote password reset of a resource as endpoint 63 does (replaces its configuration; a stored key is kept while --authentication stays keyauth)',
    );
  withDataDir(configure)
    .requiredOption('--resource <name>', 'the resource')
    .requiredOption('--type <type>', 'Linux, PostgreSQL or MySQL (MariaDB: MySQL)')
    .addOption(new Option('--port <port>', 'the SSH or database port').argParser(port))
    .option('--login-account <name>', 'REMOTELOGINACCOUNT: the account of this resource that logs in (Linux)')
    .option(
      '--reset-account <resource/account>',
      'WDRESOURCEID/WDACCOUNTID: the account that performs resets (databases: absent, each account changes its own)',
    )
    .addOption(new Option('--elevation <type>', 'ELEVATIONTYPE (Linux)').choices(['su', 'sudo']))
    .option('--root-account <name>', 'ROOTACCOUNT: the account whose password su answers (Linux)')
    .option('--user-prompt <text>', 'LINUX_USERPROMPT (default $)')
    .option('--root-prompt <text>', 'LINUXROOTUSERPROMPT (default #)')
    .option(
      '--landing-server <resource>',
      'LINUX_LANDINGSERVER: the resource to go through (configured itself)',
    )
    .option('--database <name>', 'DATABASE to connect to (PostgreSQL default postgres)')
    .addOption(new Option('--authentication <how>', 'AUTHENTICATION').choices(['passauth', 'keyauth']))
    .option(
      '--private-key-file <path>',
      "keyauth: the login account's private key (OpenSSH or PEM); sealed at rest",
    )
    .option('--passphrase-stdin', "keyauth: read the private key's passphrase from standard input")
    .option('--remove-enter', 'REMOVEENTER: end lines with a line feed only')
    .addOption(new Option('--resource-identifier <kind>', 'RESOURCEIDENTIFIER').choices(['linux', 'others']))
    .action(async (options: ConfigureOptions) => {
      const privateKey =
        options.privateKeyFile === undefined ? undefined : await readFile(options.privateKeyFile, 'utf8');
      const passphrase = options.passphraseStdin ? await readStdin() : undefined;
      await withInstance(options, async (instance) => {
        const fields: Record<string, string | boolean> = { RESOURCETYPE: options.type ?? 'Linux' };
        const set = (name: string, value: string | boolean | undefined) => {
          if (value !== undefined) fields[name] = value;
        };
        set('LINUX_SSHTELNETPORT', options.port);
        set('REMOTELOGINACCOUNT', options.loginAccount);
        set('ELEVATIONTYPE', options.elevation);
        set('ROOTACCOUNT', options.rootAccount);
        set('LINUX_USERPROMPT', options.userPrompt);
        set('LINUXROOTUSERPROMPT', options.rootPrompt);
        set('LINUX_LANDINGSERVER', options.landingServer);
        set('DATABASE', options.database);
        set('AUTHENTICATION', options.authentication);
        set('REMOVEENTER', options.removeEnter);
        set('RESOURCEIDENTIFIER', options.resourceIdentifier);
        set('PRIVATEKEY', privateKey);
        set('PASSPHRASE', passphrase);
        if (options.resetAccount !== undefined) {
          const at = options.resetAccount.lastIndexOf('/');
          if (at <= 0 || at === options.resetAccount.length - 1) {
            throw new InstanceError('--reset-account must be RESOURCE/ACCOUNT');
          }
          const ids = await instance.services.remoteReset.accountByName(
            operator(),
            options.resetAccount.slice(0, at),
            options.resetAccount.slice(at + 1),
          );
          fields.WDRESOURCEID = String(ids.resourceId);
          fields.WDACCOUNTID = String(ids.accountId);
        }
        const draft = readDraftFields(FieldReader.root(fields));
        const id = await resourceId(instance, options.resource);
        const [result] = await instance.services.remoteReset.configure(operator(), [id], draft);
        if (!result?.ok) throw new InstanceError(result?.message ?? 'the resource was not configured');
        out(`Remote password reset configured for ${result.resourceName ?? options.resource}.`);
      });
    });

  const confirmHost = rr
    .command('confirm-host')
    .description(
      "confirm the resource's current DNS name as the host its passwords are changed on (after DNSNAME was edited; ADR 030)",
    );
  withDataDir(confirmHost)
    .requiredOption('--resource <name>', 'the resource')
    .action(async (options: ResourceOptions) => {
      await withInstance(options, async (instance) => {
        // The native PUT with no field: every setting stays, the host becomes the DNSNAME now.
        const view = await instance.services.remoteReset.change(
          operator(),
          await resourceId(instance, options.resource),
          {},
        );
        out(`Remote password reset of ${view.resourceName} now changes passwords on ${view.host}.`);
      });
    });

  const remove = rr
    .command('remove')
    .description('remove the configuration of a resource (and its stored key)');
  withDataDir(remove)
    .requiredOption('--resource <name>', 'the resource')
    .action(async (options: ResourceOptions) => {
      await withInstance(options, async (instance) => {
        const name = await instance.services.remoteReset.remove(
          operator(),
          await resourceId(instance, options.resource),
        );
        out(`Remote password reset configuration of ${name} removed.`);
      });
    });

  const hostkeys = program
    .command('hostkeys')
    .description('pinned SSH host keys and keys offered after a mismatch: list, accept, remove');

  const list = hostkeys.command('list').description('list pinned keys and keys offered but refused');
  withJson(withDataDir(list), 'print { pinned, offered } as JSON').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const { pinned, offered } = await instance.services.remoteReset.listHostKeys(operator());
        if (options.json) {
          out(JSON.stringify({ pinned: pinned.map(pinnedJson), offered: offered.map(offeredJson) }));
          return;
        }
        for (const k of pinned) {
          out(`pinned   ${k.host}:${k.port} ${k.algorithm} ${k.fingerprint} (${k.pinnedHow}, ${k.pinnedBy})`);
        }
        for (const k of offered) {
          out(
            `offered  ${k.host}:${k.port} ${k.algorithm} ${k.fingerprint} (refused ${k.timesOffered} times)`,
          );
        }
        if (pinned.length + offered.length === 0) out('No SSH host keys.');
      });
    },
  );

  const accept = hostkeys.command('accept').description('pin a key a host offered (after a mismatch)');
  withDataDir(accept)
    .requiredOption('--host <host>', 'the host as offered')
    .requiredOption('--port <port>', 'its SSH port', port)
    .requiredOption('--fingerprint <SHA256:...>', 'the fingerprint of the offered key')
    .action(async (options: InstanceOptions & { host: string; port: string; fingerprint: string }) => {
      await withInstance(options, async (instance) => {
        const pin = await instance.services.remoteReset.acceptHostKey(
          operator(),
          options.host,
          Number(options.port),
          options.fingerprint,
        );
        out(`The host key ${pin.fingerprint} of ${pin.host}:${pin.port} is now pinned.`);
      });
    });

  const removePin = hostkeys
    .command('remove')
    .description('remove the pin of a host: its next connection pins on first use');
  withDataDir(removePin)
    .requiredOption('--host <host>', 'the host')
    .requiredOption('--port <port>', 'its SSH port', port)
    .action(async (options: InstanceOptions & { host: string; port: string }) => {
      await withInstance(options, async (instance) => {
        await instance.services.remoteReset.removeHostKeyPin(operator(), options.host, Number(options.port));
        out(`The host key pin of ${options.host}:${options.port} was removed.`);
      });
    });
}

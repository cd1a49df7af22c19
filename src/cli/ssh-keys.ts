/**
 * `bulwark sshkeys list|create|import|export|delete|associate|dissociate|deployments`: the SSH key
 * store (ADR 031) and its keys on hosts (ADR 033) from the data directory, as the local operator
 * (trusted like `rotate-master-key`, audited under the operating-system user). Passphrases come
 * from standard input, never from the command line.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { SSH_KEY_TYPES, type SshKeyType, type SshKeyView } from '../modules/ssh-keys/index.js';
import {
  operator,
  out,
  secretFromStdin,
  withDataDir,
  withInstance,
  withJson,
  type InstanceOptions,
} from './shared.js';
import { registerSshKeyDiscoveryCommands } from './ssh-key-discovery.js';
import { registerSshKeyRotationCommands } from './ssh-key-rotation.js';

interface NameOptions extends InstanceOptions {
  name: string;
  json?: boolean;
}

interface CreateOptions extends NameOptions {
  type: SshKeyType;
  length?: number;
  comment?: string;
  owner: string;
  passphraseStdin?: boolean;
}

interface ImportOptions extends NameOptions {
  file: string;
  comment?: string;
  owner: string;
  passphraseStdin?: boolean;
}

function bits(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('a number of bits');
  return Number(value);
}

function keyJson(key: SshKeyView) {
  return {
    name: key.name,
    type: key.type,
    length: key.bits,
    fingerprint: key.fingerprint,
    comment: key.comment,
    passphrase: key.hasPassphrase,
    createdBy: key.createdBy,
    createdAt: new Date(key.createdAt).toISOString(),
    origin: key.origin,
    publicKey: key.publicKey,
  };
}

function show(key: SshKeyView, json: boolean | undefined, verb: string): void {
  if (json) out(JSON.stringify(keyJson(key)));
  else out(`SSH key ${key.name} ${verb}: ${key.type} ${key.bits} ${key.fingerprint}`);
}

export function registerSshKeyCommands(program: Command): void {
  const keys = program
    .command('sshkeys')
    .description('the SSH key store: keys sealed in the vault (ADR 031)');

  const list = keys.command('list').description('list every SSH key: name, type, length, fingerprint, owner');
  withJson(withDataDir(list), 'one JSON array').action(
    async (options: InstanceOptions & { json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const all = await instance.services.sshKeys.list(operator());
        if (options.json) {
          out(JSON.stringify(all.map(keyJson)));
          return;
        }
        for (const k of all) {
          out(
            `${k.name}\t${k.type}\t${k.bits}\t${k.fingerprint}\t${k.createdBy}${k.hasPassphrase ? '\tpassphrase' : ''}`,
          );
        }
      });
    },
  );

  const create = keys
    .command('create')
    .description('create a key pair as endpoint 25 does, owned by --owner');
  withJson(withDataDir(create), 'the key as JSON')
    .requiredOption('--name <name>', 'the key name')
    .addOption(new Option('--type <type>', 'the key type').choices([...SSH_KEY_TYPES]).makeOptionMandatory())
    .addOption(
      new Option('--length <bits>', 'rsa 1024/2048/4096, dss 1024, ecdsa 256/384/521').argParser(bits),
    )
    .option('--comment <text>', 'the key comment')
    .requiredOption('--owner <user>', 'the user who owns the key')
    .option('--passphrase-stdin', 'encrypt the key with a passphrase read from standard input')
    .action(async (options: CreateOptions) => {
      const passphrase = await secretFromStdin(options.passphraseStdin, '--passphrase-stdin');
      await withInstance(options, async (instance) => {
        const key = await instance.services.sshKeys.create(
          operator(),
          {
            name: options.name,
            type: options.type,
            bits: options.length,
            comment: options.comment,
            passphrase,
          },
          options.owner,
        );
        show(key, options.json, 'created');
      });
    });

  const imported = keys
    .command('import')
    .description('import a private key (OpenSSH, PEM, PKCS#8), owned by --owner');
  withJson(withDataDir(imported), 'the key as JSON')
    .requiredOption('--name <name>', 'the key name')
    .requiredOption('--file <path>', 'the private key file')
    .option('--comment <text>', 'the key comment (default: the one in an OpenSSH file)')
    .requiredOption('--owner <user>', 'the user who owns the key')
    .option('--passphrase-stdin', "read the key's passphrase from standard input")
    .action(async (options: ImportOptions) => {
      const keyText = await readFile(options.file, 'utf8');
      const passphrase = await secretFromStdin(options.passphraseStdin, '--passphrase-stdin');
      await withInstance(options, async (instance) => {
        const key = await instance.services.sshKeys.import(
          operator(),
          { name: options.name, keyText, comment: options.comment, passphrase },
          options.owner,
        );
        show(key, options.json, 'imported');
      });
    });

  const exported = keys.command('export').description('write the private key file (audited)');
  withDataDir(exported)
    .requiredOption('--name <name>', 'the key name')
    .option('--out <path>', 'write it here (mode 0600) instead of standard output')
    .action(async (options: NameOptions & { out?: string }) => {
      await withInstance(options, async (instance) => {
        const { privateKey } = await instance.services.sshKeys.export(operator(), options.name);
        if (options.out === undefined) process.stdout.write(privateKey);
        else await writeFile(options.out, privateKey, { mode: 0o600, flag: 'wx' });
      });
    });

  const remove = keys
    .command('delete')
    .description('delete a key, dissociating it from every host it is recorded on first (endpoint 26)');
  withDataDir(remove)
    .requiredOption('--name <name>', 'the key name')
    .option(
      '--without-dissociation',
      'endpoint 26 withoutDisassociation: leave hosts as they are (audited, naming them)',
    )
    .action(async (options: NameOptions & { withoutDissociation?: boolean }) => {
      await withInstance(options, async (instance) => {
        const { key, dissociated, left } = await instance.services.sshKeyDeployments.deleteKey(
          operator(),
          options.name,
          options.withoutDissociation ?? false,
        );
        if (dissociated.length > 0) out(`Dissociated from ${dissociated.join(', ')}.`);
        if (left.length > 0) out(`Not dissociated, still in authorized_keys of ${left.join(', ')}.`);
        out(`SSH key ${key.name} deleted.`);
      });
    });

  registerDeploymentCommands(keys);
  registerSshKeyDiscoveryCommands(keys);
  registerSshKeyRotationCommands(keys);
}

interface DeploymentOptions extends NameOptions {
  resource: string;
  user: string;
}

/** `associate`, `dissociate` (endpoints 52, 53) and `deployments` (31) as the local operator. */
function registerDeploymentCommands(keys: Command): void {
  for (const verb of ['associate', 'dissociate'] as const) {
    const command = keys
      .command(verb)
      .description(
        verb === 'associate'
          ? "put the key into the account's authorized_keys on the resource, verify a login with it, record it (endpoint 52)"
          : "take the key's lines out of the account's authorized_keys on the resource and forget the record (endpoint 53)",
      );
    withDataDir(command)
      .requiredOption('--name <name>', 'the key name')
      .requiredOption('--resource <resource>', 'the resource (its name, or its DNS name)')
      .requiredOption('--user <account>', 'the account on the host')
      .action(async (options: DeploymentOptions) => {
        await withInstance(options, async (instance) => {
          const target = { keyName: options.name, resourceName: options.resource, userName: options.user };
          const deployments = instance.services.sshKeyDeployments;
          if (verb === 'associate') {
            const done = await deployments.associate(operator(), target);
            out(
              `SSH key ${done.keyName} associated with ${done.userName} on ${done.resourceName}` +
                (done.outcome === 'present' ? ' (its line was there already).' : '.'),
            );
          } else {
            const { removed } = await deployments.dissociate(operator(), target);
            out(
              `SSH key ${options.name} dissociated from ${options.user} on ${options.resource}` +
                (removed > 0 ? '.' : ' (it was not found on the host; the record is removed).'),
            );
          }
        });
      });
  }

  const list = keys
    .command('deployments')
    .description('where keys are deployed, from the records (endpoint 31)');
  withJson(withDataDir(list), 'one JSON array')
    .option('--name <name>', 'only this key')
    .action(async (options: InstanceOptions & { name?: string; json?: boolean }) => {
      await withInstance(options, async (instance) => {
        const rows = await instance.services.sshKeyDeployments.list(operator(), options.name);
        if (options.json) {
          out(JSON.stringify(rows.map((r) => ({ ...r, deployedAt: new Date(r.deployedAt).toISOString() }))));
          return;
        }
        for (const r of rows) {
          out(
            `${r.keyName}\t${r.userName}@${r.resourceName}\t${r.fingerprint}\t${r.deployedBy}\t${new Date(r.deployedAt).toISOString()}`,
          );
        }
      });
    });
}

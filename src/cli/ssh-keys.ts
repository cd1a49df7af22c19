/**
 * `bulwark sshkeys list|create|import|export|delete`: the SSH key store (ADR 031) from the data
 * directory, as the local operator (trusted like `rotate-master-key`, audited under the
 * operating-system user). Passphrases come from standard input, never from the command line.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { InstanceError } from '../instance.js';
import { SSH_KEY_TYPES, type SshKeyType, type SshKeyView } from '../modules/ssh-keys/index.js';
import { operator, out, withDataDir, withInstance, withJson, type InstanceOptions } from './shared.js';

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

async function readPassphrase(wanted: boolean | undefined): Promise<string | undefined> {
  if (!wanted) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline ends the line typed or echoed; it is not part of the passphrase.
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new InstanceError('--passphrase-stdin: standard input was empty');
  return text;
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
      const passphrase = await readPassphrase(options.passphraseStdin);
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
      const passphrase = await readPassphrase(options.passphraseStdin);
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

  const remove = keys.command('delete').description('delete a key (refused while it is deployed on hosts)');
  withDataDir(remove)
    .requiredOption('--name <name>', 'the key name')
    .option(
      '--without-dissociation',
      'endpoint 26 withoutDisassociation (a deployed key is refused either way)',
    )
    .action(async (options: NameOptions & { withoutDissociation?: boolean }) => {
      await withInstance(options, async (instance) => {
        const key = await instance.services.sshKeys.delete(
          operator(),
          options.name,
          options.withoutDissociation ?? false,
        );
        out(`SSH key ${key.name} deleted.`);
      });
    });
}

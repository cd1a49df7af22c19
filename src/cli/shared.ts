/**
 * What every `bulwark` command shares: the options declared once, the configuration they
 * produce, the instance they open, and how the operator is named in the audit trail.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { loadConfig, type Config, type ConfigOverrides } from '../config.js';
import { InstanceError, openInstance, type OpenInstance } from '../instance.js';
import { systemClock } from '../platform/clock.js';
import type { CallOrigin } from '../platform/principal.js';
import type { AuditActor } from '../modules/audit/index.js';

/** What the CLI records as the client of its own actions. */
export const CLI_ORIGIN: CallOrigin = { clientIp: '127.0.0.1', client: 'CLI' };

/** The options every command that touches an instance takes (flags override BULWARK_* variables). */
export interface InstanceOptions {
  dataDir?: string;
}

export interface ServerOptions extends InstanceOptions {
  port?: number;
  host?: string;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return n;
}

/** `--data-dir`: required by `init`, which creates it; elsewhere BULWARK_DATA_DIR or ./data. */
export function withDataDir(command: Command, { required = false } = {}): Command {
  const option = new Option(
    '--data-dir <dir>',
    required ? 'the data directory to create' : 'the data directory (BULWARK_DATA_DIR, default ./data)',
  );
  if (required) option.makeOptionMandatory();
  return command.addOption(option);
}

/** `--port` and `--host` of the commands that serve. */
export function withListenOptions(command: Command): Command {
  return command
    .addOption(new Option('--port <port>', 'port to listen on (BULWARK_PORT, default 7272)').argParser(port))
    .addOption(new Option('--host <host>', 'address to listen on (BULWARK_HOST, default 0.0.0.0)'));
}

/** `--json`: one JSON document on stdout instead of lines for people. */
export function withJson(command: Command, what: string): Command {
  return command.addOption(new Option('--json', what));
}

export function configFrom(options: ConfigOverrides): Config {
  return loadConfig(process.env, options);
}

/** Opens the instance the options name, runs `work`, and always closes it. */
export async function withInstance<T>(
  options: InstanceOptions,
  work: (instance: OpenInstance) => Promise<T>,
): Promise<T> {
  const instance = await openInstance(configFrom({ dataDir: options.dataDir }), systemClock);
  try {
    return await work(instance);
  } finally {
    await instance.close();
  }
}

/** The operating-system user running the CLI, as the audit trail names them. */
export function operatorActor(): AuditActor {
  return { userId: null, username: userInfo().username, ...CLI_ORIGIN };
}

export const operator = () => ({ operator: operatorActor() });

/** File-system failures while writing into a directory the operator named, in one line. */
export async function writingTo<T>(directory: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new InstanceError(`cannot write into ${directory}: ${(err as Error).message}`);
  }
}

export function out(line: string): void {
  process.stdout.write(line.endsWith('\n') ? line : `${line}\n`);
}

/** Standard input read whole, less one trailing newline (the end of the line typed or echoed). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A secret from standard input when `flag` (e.g. --passphrase-stdin) was given; empty is refused. */
export async function secretFromStdin(
  wanted: boolean | undefined,
  flag: string,
): Promise<string | undefined> {
  if (!wanted) return undefined;
  const text = await readStdin();
  if (text === '') throw new InstanceError(`${flag}: standard input was empty`);
  return text;
}

/** A line typed on the terminal without echo (a passphrase); Ctrl-C or Ctrl-D cancels. */
function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    const done = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const c of Array.from(chunk)) {
        if (c === '\r' || c === '\n') return done();
        if (c === '\u0003' || c === '\u0004') return done(new InstanceError('cancelled'));
        if (c === '\u007f' || c === '\b') value = Array.from(value).slice(0, -1).join('');
        else value += c;
      }
    };
    process.stderr.write(question);
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * A passphrase from `--passphrase-file` (its content less one trailing line break,
 * nothing trimmed), else typed at a prompt on the terminal (twice with `confirm`). Never from the
 * command line, where other users' `ps` and the shell's history would see it.
 */
export async function readPassphrase(file: string | undefined, { confirm = false } = {}): Promise<string> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new InstanceError(`cannot read the passphrase file ${file}: ${(err as Error).message}`);
    }
    const passphrase = text.replace(/\r?\n$/, '');
    if (passphrase === '') throw new InstanceError(`the passphrase file ${file} is empty`);
    return passphrase;
  }
  if (!process.stdin.isTTY) {
    throw new InstanceError(
      'give the passphrase with --passphrase-file FILE (or run on a terminal to type it)',
    );
  }
  const passphrase = await promptHidden('Passphrase: ');
  if (confirm && (await promptHidden('Passphrase again: ')) !== passphrase) {
    throw new InstanceError('the two passphrases differ');
  }
  return passphrase;
}

import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { writeFileDurably } from '../fs.js';

/**
 * The master key lives outside the database: a JSON file (mode 0600) that holds one or more
 * 256-bit keys and names the active one. It only ever wraps data keys; data is never sealed
 * with it directly, so rotating it re-wraps a handful of rows instead of every secret.
 *
 * During a rotation the file briefly holds both the old and the new key, so a server that
 * reloads it at any moment can unwrap every data key.
 */
export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

interface MasterKeyFileV1 {
  format: 'bulwark-master-key';
  version: 1;
  active: string;
  keys: { id: string; key: string; createdAt: string }[];
}

export class MasterKeyError extends Error {}

export class MasterKeySet {
  readonly #keys: Map<string, MasterKey>;
  readonly activeId: string;

  constructor(keys: MasterKey[], activeId: string) {
    this.#keys = new Map(keys.map((k) => [k.id, k]));
    if (!this.#keys.has(activeId))
      throw new MasterKeyError(`active master key ${activeId} is not in the key set`);
    this.activeId = activeId;
  }

  get active(): MasterKey {
    return this.#keys.get(this.activeId)!;
  }

  get(id: string): MasterKey | undefined {
    return this.#keys.get(id);
  }

  get all(): MasterKey[] {
    return [...this.#keys.values()];
  }
}

export function generateMasterKey(now: Date): MasterKey {
  const stamp = now.toISOString().slice(0, 10).replaceAll('-', '');
  return { id: `mk-${stamp}-${randomBytes(4).toString('hex')}`, key: randomBytes(32) };
}

export async function readMasterKeyFile(file: string): Promise<MasterKeySet> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new MasterKeyError(`cannot read the master key file ${file}: ${(err as Error).message}`);
  }
  let parsed: MasterKeyFileV1;
  try {
    parsed = JSON.parse(text) as MasterKeyFileV1;
  } catch {
    throw new MasterKeyError(`the master key file ${file} is not valid JSON`);
  }
  if (parsed.format !== 'bulwark-master-key' || parsed.version !== 1 || !Array.isArray(parsed.keys)) {
    throw new MasterKeyError(`the master key file ${file} has an unknown format`);
  }
  const keys = parsed.keys.map((k) => {
    const key = Buffer.from(k.key, 'base64');
    if (key.length !== 32) throw new MasterKeyError(`master key ${k.id} in ${file} is not 256 bits`);
    return { id: k.id, key };
  });
  return new MasterKeySet(keys, parsed.active);
}

/**
 * A warning when the master key file may be read or written by anyone but its owner (mode bits
 * for group or others, mask 0o077); undefined when it is private. The server prints it at start
 * (ADR 022): such a file still works, but anyone who can read it and the database reads every
 * secret.
 */
export async function masterKeyFileWarning(file: string): Promise<string | undefined> {
  const { mode } = await stat(file);
  if ((mode & 0o077) === 0) return undefined;
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  return `the master key file ${file} has mode ${octal}: group or others may read or write it; restrict it with chmod 600 ${file}`;
}

export async function writeMasterKeyFile(file: string, set: MasterKeySet, now: Date): Promise<void> {
  const body: MasterKeyFileV1 = {
    format: 'bulwark-master-key',
    version: 1,
    active: set.activeId,
    keys: set.all.map((k) => ({ id: k.id, key: k.key.toString('base64'), createdAt: now.toISOString() })),
  };
  await writeFileDurably(file, JSON.stringify(body, null, 2) + '\n', 0o600);
}

import { createHash } from 'node:crypto';

/**
 * OpenSSH public key lines and authorized_keys lines (sshd(8) "AUTHORIZED_KEYS FILE FORMAT"):
 * `[options] type base64-blob [comment]`. Parsed and validated here, on the vault's side, before
 * anything is sent to a host (see ssh-authorized-keys.ts).
 */

/** The key types sshd accepts in authorized_keys (certificates are not managed here). */
export const KEY_TYPES = [
  'ssh-ed25519',
  'ssh-rsa',
  'ssh-dss',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
] as const;
export type KeyType = (typeof KEY_TYPES)[number];

const TYPES: ReadonlySet<string> = new Set(KEY_TYPES);

/** How many SSH strings (the type included) the blob of each type holds (RFC 4253, 5656, 8709; PROTOCOL.u2f). */
const FIELDS: Record<KeyType, number> = {
  'ssh-ed25519': 2,
  'ssh-rsa': 3,
  'ssh-dss': 5,
  'ecdsa-sha2-nistp256': 3,
  'ecdsa-sha2-nistp384': 3,
  'ecdsa-sha2-nistp521': 3,
  'sk-ssh-ed25519@openssh.com': 3,
  'sk-ecdsa-sha2-nistp256@openssh.com': 4,
};

/** A line sent to a host passes through a terminal in canonical mode (at most 4095 bytes a line). */
export const MAX_LINE = 3500;

/**
 * Control characters (C0, DEL, C1) a terminal or a shell would interpret, and Unicode line and
 * paragraph separators: never in a comment.
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface PublicKey {
  readonly type: KeyType;
  /** The key blob, base64, as in the line. */
  readonly blob: string;
  readonly comment: string;
  /** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
  readonly fingerprint: string;
}

export interface AuthorizedKeyLine extends PublicKey {
  /** The options before the key type (e.g. `from="10.0.0.0/8",no-pty`), as written; '' when none. */
  readonly options: string;
}

export function fingerprintOfBlob(blob: string): string {
  const digest = createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64');
  return `SHA256:${digest.replace(/=+$/, '')}`;
}

/** Why `type blob` is not a usable key, or undefined when it is. */
function blobProblem(type: string, blob: string): string | undefined {
  if (!TYPES.has(type)) return `unknown key type "${type.slice(0, 40)}"`;
  if (!BASE64.test(blob) || blob.length % 4 !== 0) return 'the key is not valid base64';
  const bytes = Buffer.from(blob, 'base64');
  if (bytes.toString('base64') !== blob) return 'the key is not valid base64';
  // The blob is a sequence of SSH strings (type first); each type has a fixed number of them.
  const fields: string[] = [];
  for (let at = 0; at < bytes.length;) {
    if (at + 4 > bytes.length) return 'the key blob is truncated';
    const length = bytes.readUInt32BE(at);
    if (at + 4 + length > bytes.length) return 'the key blob is truncated';
    fields.push(bytes.subarray(at + 4, at + 4 + length).toString('latin1'));
    at += 4 + length;
  }
  const inner = fields[0] ?? '';
  if (inner !== type) return `the key blob is of type "${inner.slice(0, 40)}", not ${type}`;
  if (fields.length !== FIELDS[type as KeyType]) return `the key blob is not a well-formed ${type} key`;
  return undefined;
}

export class KeyLineError extends Error {
  override readonly name = 'KeyLineError';
}

/**
 * Parses an OpenSSH public key (`type blob [comment]`, no options) and validates it strictly:
 * known type, canonical base64 whose inner type matches, a comment without control characters.
 * Throws a KeyLineError saying why otherwise.
 */
export function parsePublicKey(text: string): PublicKey {
  const line = text.replace(/\r?\n$/, '');
  if (line.length > MAX_LINE) throw new KeyLineError(`the key line is longer than ${MAX_LINE} characters`);
  if (CONTROL.test(line)) throw new KeyLineError('the key line contains a line break or a control character');
  const match = /^([^ \t]+)[ \t]+([^ \t]+)(?:[ \t]+(.*))?$/.exec(line.trim());
  if (!match) throw new KeyLineError('not an OpenSSH public key line ("type base64-key [comment]")');
  const [, type = '', blob = '', comment = ''] = match;
  const problem = blobProblem(type, blob);
  if (problem) throw new KeyLineError(problem);
  return { type: type as KeyType, blob, comment: comment.trim(), fingerprint: fingerprintOfBlob(blob) };
}

/** The line written to authorized_keys for a key. */
export function keyLine(key: PublicKey): string {
  return key.comment ? `${key.type} ${key.blob} ${key.comment}` : `${key.type} ${key.blob}`;
}

/**
 * Splits off the options of an authorized_keys line: everything up to the first space or tab
 * outside double quotes (a backslash escapes a quote inside them, as sshd reads it).
 */
function splitOptions(line: string): { options: string; rest: string } | undefined {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && quoted && line[i + 1] === '"') i++;
    else if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ' ' || c === '\t'))
      return { options: line.slice(0, i), rest: line.slice(i).trimStart() };
  }
  return undefined;
}

export type ParsedLine =
  | { readonly kind: 'key'; readonly key: AuthorizedKeyLine }
  | { readonly kind: 'blank' }
  | { readonly kind: 'invalid'; readonly text: string; readonly problem: string };

/** One line of an authorized_keys file as sshd reads it (comments and blank lines ignored). */
export function parseAuthorizedKeysLine(raw: string): ParsedLine {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '' || line.startsWith('#')) return { kind: 'blank' };
  const invalid = (problem: string): ParsedLine => ({ kind: 'invalid', text: printable(line), problem });
  let options = '';
  let rest = line;
  const first = /^[^ \t]+/.exec(line)?.[0] ?? '';
  if (!TYPES.has(first)) {
    const split = splitOptions(line);
    if (!split) return invalid(TYPES.has(first) ? 'no key after the type' : 'no key type');
    options = split.options;
    rest = split.rest;
  }
  const match = /^([^ \t]+)[ \t]+([^ \t]+)(?:[ \t]+(.*))?$/.exec(rest);
  if (!match) return invalid('no key after the type');
  const [, type = '', blob = '', comment = ''] = match;
  const problem = blobProblem(type, blob);
  if (problem) return invalid(problem);
  return {
    kind: 'key',
    key: {
      type: type as KeyType,
      blob,
      comment: printable(comment.trim()),
      // Shown to people as they are, but never with a terminal control character.
      options: options.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'),
      fingerprint: fingerprintOfBlob(blob),
    },
  };
}

/** Text from a host shown to a person: control characters replaced, shortened. */
function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return clean.length > 200 ? `${clean.slice(0, 197)}...` : clean;
}

/**
 * Linux account names this module sends to a host: the POSIX portable filename characters, not
 * starting with '-', not all digits (getent would read a number as a uid), at most 32 characters.
 */
export function isAccountName(name: string): boolean {
  return /^[A-Za-z0-9._][A-Za-z0-9._-]{0,31}$/.test(name) && !/^[0-9]+$/.test(name);
}

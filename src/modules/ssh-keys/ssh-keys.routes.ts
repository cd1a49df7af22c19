import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import {
  InvalidInputError,
  MissingFieldError,
  NotFoundError,
  OperationNotAvailableError,
  PayloadTooLargeError,
} from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { TimeFormatter } from '../../platform/time.js';
import { foundOnDetails, registerDiscoveryRoutes } from './discovery.routes.js';
import type { SshKeyDiscovery } from './discovery.service.js';
import type { DiscoveredKey } from './discovery.types.js';
import type { ShareGrantee, SshKeysService } from './ssh-keys.service.js';
import { LIMITS, SSH_KEY_TYPES, type SshKeyView } from './ssh-keys.types.js';

const PKI = '/api/pki/restapi';

/** The fields of one key as the PKI API lists it (endpoint 27's sample), and a few more. */
function keyDetails(key: SshKeyView, time: TimeFormatter) {
  return {
    KeyName: key.name,
    KeyType: key.type,
    KeyLength: String(key.bits),
    FingerPrint: key.fingerprint,
    isPassphraseAvailable: key.hasPassphrase,
    CreatedBy: key.createdBy,
    CreationTime: time.pmpDateTime(key.createdAt),
    Comment: key.comment,
    PublicKey: key.publicKey,
    Origin: key.origin,
  };
}

/**
 * A key found on hosts by discovery that the store does not hold (ADR 034): listed by 27 with
 * Origin `discovered` under its stable name `discovered:SHA256:…`; only its public half is known.
 */
function discoveredDetails(key: DiscoveredKey, time: TimeFormatter) {
  return {
    KeyName: key.name,
    KeyType: key.type,
    KeyLength: String(key.bits),
    FingerPrint: key.fingerprint,
    isPassphraseAvailable: false,
    CreatedBy: '',
    CreationTime: time.pmpDateTime(key.firstSeen),
    Comment: key.comment,
    PublicKey: key.publicKey,
    Origin: 'discovered',
    FoundOn: foundOnDetails(key.foundOn, time),
  };
}

/** Runs a lookup of the key store; a key it does not have is undefined instead of NotFound. */
async function orMissing<T>(lookup: Promise<T>): Promise<T | undefined> {
  try {
    return await lookup;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** The key's name: `keyName`, or `key_name` as endpoint 26's sample spells it. */
export const keyName = f.group(['keyName', 'key_name'], (input: PmpInput) => {
  const d = input.details();
  const name =
    d.string('keyName', { maxLength: LIMITS.keyName }) ?? d.string('key_name', { maxLength: LIMITS.keyName });
  if (name === undefined || name.trim() === '') throw new MissingFieldError('keyName');
  return name.trim();
});

/** The `length` of endpoint 25: a whole number, as a number or text. */
const keyLength = f.group(['length'], (input: PmpInput) => {
  const text = input.details().string('length', { maxLength: 10 });
  if (text === undefined || text.trim() === '') return undefined;
  if (!/^\d{1,5}$/.test(text.trim())) {
    throw new InvalidInputError(`length must be a number of bits; got "${text.slice(0, 20)}"`);
  }
  return Number(text.trim());
});

/** The private key of endpoint 51: an uploaded file (`File`), else the `privateKey` field as text. */
const keyFile = f.group(['File', 'privateKey'], (input: PmpInput) => {
  const file = input.file();
  const typed = input.details().secret('privateKey', { maxLength: LIMITS.keyFile });
  if (file) {
    if (file.content.length > LIMITS.keyFile) {
      throw new PayloadTooLargeError(
        `The key file is larger than ${LIMITS.keyFile} bytes: not a private key`,
      );
    }
    return file.content.toString('utf8');
  }
  if (typed === undefined) throw new MissingFieldError('File');
  return typed.reveal();
});

const grantee = f.group(['userName', 'userGroupName'], (input: PmpInput): ShareGrantee => {
  const d = input.details();
  const userName = d.string('userName', { maxLength: 255 });
  const groupName = d.string('userGroupName', { maxLength: 255 });
  if (userName && groupName) throw new InvalidInputError('Give userName or userGroupName, not both');
  if (userName) return { userName };
  if (groupName) return { groupName };
  throw new MissingFieldError('userName');
});

/**
 * The SSH key endpoints of the PKI API (25, 27–29, 51; docs/ssh-keys.md): answered in the PKI
 * envelope, which the router picks by the path. Keys on hosts (52, 53, 30, 31) and delete (26),
 * which dissociates first, are in deployments.routes.ts.
 */
export function registerSshKeyRoutes(
  router: PmpRouter,
  deps: { sshKeys: SshKeysService; discovery: SshKeyDiscovery; time: TimeFormatter },
): void {
  const { sshKeys, discovery, time } = deps;

  /** A discovered key by name for 28 and 29, after the store did not have it; NotFound otherwise. */
  async function discovered(caller: Caller, name: string): Promise<DiscoveredKey> {
    const key = await discovery.discoveredKey(caller, name);
    if (!key) throw new NotFoundError(`SSH key ${name} does not exist`);
    return key;
  }

  router.add({
    method: 'POST',
    url: `${PKI}/createsshkey`,
    operation: 'CreateSSHKey',
    schema: inputSchema({
      name: keyName,
      type: f.choice('keyType', SSH_KEY_TYPES, { required: true }),
      bits: keyLength,
      passphrase: f.secret('passPhrase', { maxLength: LIMITS.passphrase }),
      comment: f.string('comment', { maxLength: LIMITS.comment }),
    }),
    async handle({ caller, fields }) {
      const key = await sshKeys.create(caller, {
        name: fields.name,
        type: fields.type!,
        bits: fields.bits,
        comment: fields.comment,
        passphrase: fields.passphrase?.reveal(),
      });
      return { message: 'New SSH key created successfully', details: [keyDetails(key, time)] };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/addSSHKey`,
    operation: 'addSSHKey',
    schema: inputSchema({
      name: keyName,
      passphrase: f.secret('passphrase', { maxLength: LIMITS.passphrase }),
      comment: f.string('comment', { maxLength: LIMITS.comment }),
      keyText: keyFile,
    }),
    async handle({ caller, fields }) {
      const key = await sshKeys.import(caller, {
        name: fields.name,
        keyText: fields.keyText,
        comment: fields.comment,
        passphrase: fields.passphrase?.reveal(),
      });
      return { message: 'Key imported successfully', details: [keyDetails(key, time)] };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getAllSSHKeys`,
    operation: 'GetAllSSHKeys',
    schema: NO_INPUT,
    async handle({ caller }) {
      // The store's keys the caller may see, each with where discovery found it, then the
      // unknown keys discovery found on resources the caller may see (ADR 034).
      const found = await discovery.keysFound(caller);
      const keys = [
        ...(await sshKeys.list(caller)).map((k) => ({
          ...keyDetails(k, time),
          FoundOn: foundOnDetails(found.foundOn.get(k.fingerprint) ?? [], time),
        })),
        ...found.discovered.map((k) => discoveredDetails(k, time)),
      ];
      // pypmp's get_ssh_keys reads `SSHKeys`; the reference's sample shows `details`: both.
      return {
        message: 'All SSH Keys fetched successfully',
        totalRows: keys.length,
        details: keys,
        extra: { SSHKeys: keys },
      };
    },
  });

  // pypmp calls 28 and 29 with POST, the reference 28 with GET: both are served.
  for (const method of ['GET', 'POST'] as const) {
    router.add({
      method,
      url: `${PKI}/getSSHKey`,
      operation: 'GetSSHKey',
      schema: inputSchema({ name: keyName }),
      async handle({ caller, fields }) {
        const key = await orMissing(sshKeys.get(caller, fields.name));
        if (!key) {
          const found = await discovered(caller, fields.name);
          return {
            message: `SSH Key ${found.name} fetched successfully`,
            details: [discoveredDetails(found, time)],
          };
        }
        const foundOn = await discovery.foundOn(caller, key.fingerprint);
        return {
          message: `SSH Key ${key.name} fetched successfully`,
          details: [{ ...keyDetails(key, time), FoundOn: foundOnDetails(foundOn, time) }],
        };
      },
    });
    router.add({
      method,
      url: `${PKI}/exportSSHKey`,
      operation: 'ExportSSHKey',
      schema: inputSchema({ name: keyName }),
      async handle({ caller, fields }) {
        const exported = await orMissing(sshKeys.export(caller, fields.name));
        if (!exported) {
          const found = await discovered(caller, fields.name);
          throw new OperationNotAvailableError(
            `SSH key ${found.name} was found on hosts by discovery: only its public key is known to the vault, there is no private key to export`,
          );
        }
        const { view, privateKey } = exported;
        return {
          file: {
            fileName: `${view.name.replace(/[^A-Za-z0-9._-]/g, '_')}.key`,
            contentType: 'application/octet-stream',
            content: privateKey,
          },
        };
      },
    });
  }

  router.add({
    method: 'POST',
    url: `${PKI}/shareSSHKey`,
    operation: 'ShareSSHKey',
    schema: inputSchema({
      name: keyName,
      grantee,
      permission: f.choice('permission', ['view', 'modify', 'full', 'revoke'] as const, { required: true }),
    }),
    async handle({ caller, fields }) {
      const permission = fields.permission === 'revoke' ? undefined : fields.permission;
      const result = await sshKeys.share(caller, fields.name, fields.grantee, permission);
      return {
        message: result.shared
          ? `SSH key ${result.key} shared to ${result.grantee} with ${fields.permission} access`
          : `Share of SSH key ${result.key} to ${result.grantee} revoked`,
      };
    },
  });

  registerDiscoveryRoutes(router, { discovery, time });
}

import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { InvalidInputError, MissingFieldError, PayloadTooLargeError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
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

/** The key's name: `keyName`, or `key_name` as endpoint 26's sample spells it. */
const keyName = f.group(['keyName', 'key_name'], (input: PmpInput) => {
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
 * The SSH key endpoints of the PKI API (25–29, 51; docs/ssh-keys.md): answered in the PKI
 * envelope, which the router picks by the path. Associate (52), dissociate (53), 30 and 31 come
 * with host operations in the next increment.
 */
export function registerSshKeyRoutes(
  router: PmpRouter,
  deps: { sshKeys: SshKeysService; time: TimeFormatter },
): void {
  const { sshKeys, time } = deps;

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
      const keys = (await sshKeys.list(caller)).map((k) => keyDetails(k, time));
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
        const key = await sshKeys.get(caller, fields.name);
        return { message: `SSH Key ${key.name} fetched successfully`, details: [keyDetails(key, time)] };
      },
    });
    router.add({
      method,
      url: `${PKI}/exportSSHKey`,
      operation: 'ExportSSHKey',
      schema: inputSchema({ name: keyName }),
      async handle({ caller, fields }) {
        const { view, privateKey } = await sshKeys.export(caller, fields.name);
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
    method: 'DELETE',
    url: `${PKI}/deleteSSHKey`,
    operation: 'DeleteSSHKey',
    schema: inputSchema({ name: keyName, withoutDissociation: f.boolean('withoutDisassociation') }),
    async handle({ caller, fields }) {
      const key = await sshKeys.delete(caller, fields.name, fields.withoutDissociation ?? false);
      return { message: `SSH keys ${key.name} deleted successfully` };
    },
  });

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
}

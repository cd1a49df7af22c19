import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import { NativeFile, type NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import { FieldInputError, InvalidInputError, NotFoundError } from '../../platform/errors.js';
import type { Caller } from '../../platform/principal.js';
import type { SshKeyDeployments } from './deployments.service.js';
import { CREATE_LENGTHS } from './key-material.js';
import type { SshKeysService } from './ssh-keys.service.js';
import { LIMITS, SSH_KEY_TYPES, type SshKeyView } from './ssh-keys.types.js';

/**
 * SSH keys in the console (ADR 042; issue 13, ADR 031, 033): the keys the caller may see, create,
 * import, export (the release gate of endpoint 29, audited), delete (dissociating first, as 26),
 * and where a key is deployed, with associate and dissociate (52, 53). Keys are addressed by id
 * in the URL and looked up with the service's access check (`getById`), so a key the caller may
 * not see answers exactly like a missing one.
 */

const comment = z
  .string()
  .trim()
  .max(LIMITS.comment, `At most ${LIMITS.comment} characters`)
  .regex(/^[^\x00-\x1f\x7f]*$/, 'Control characters are not allowed')
  .optional();
const passphrase = z
  .string()
  .max(LIMITS.passphrase, `At most ${LIMITS.passphrase} characters`)
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

const newKey = z
  .object({
    name: nameField(LIMITS.keyName),
    type: z.enum(SSH_KEY_TYPES, { error: `Choose one of ${SSH_KEY_TYPES.join(', ')}` }),
    bits: z.number().int('A whole number').positive('A number of bits').optional(),
    comment,
    passphrase,
  })
  .superRefine((body, ctx) => {
    const lengths = CREATE_LENGTHS[body.type];
    if (body.bits !== undefined && !lengths.includes(body.bits)) {
      ctx.addIssue({
        code: 'custom',
        path: ['bits'],
        message: `A ${body.type} key can be ${lengths.join(', ')} bits long`,
      });
    }
  });

const importedKey = z.object({
  name: nameField(LIMITS.keyName),
  privateKey: z
    .string()
    .min(1, 'Paste the private key or choose its file')
    .max(LIMITS.keyFile, `The key file is larger than ${LIMITS.keyFile} bytes: not a private key`),
  comment,
  passphrase,
});

const deploymentTarget = z.object({
  resourceName: nameField(255, 'Enter the resource'),
  userName: nameField(255, 'Enter the account on the host'),
});

const keyShare = z.object({
  grantee: z.object({
    kind: z.enum(['user', 'group']),
    name: nameField(255, 'Choose a user or a user group'),
  }),
  permission: z.enum(['view', 'modify', 'full', 'revoke'], {
    error: 'Choose view, modify, full or revoke',
  }),
});

const keyView = z.object({
  id: z.number(),
  name: z.string(),
  type: z.enum(SSH_KEY_TYPES),
  bits: z.number(),
  fingerprint: z.string(),
  publicKey: z.string(),
  comment: z.string(),
  hasPassphrase: z.boolean(),
  createdBy: z.string(),
  createdAt: z.number(),
  origin: z.enum(['created', 'imported']),
});

function viewOf(key: SshKeyView) {
  return {
    id: key.id,
    name: key.name,
    type: key.type,
    bits: key.bits,
    fingerprint: key.fingerprint,
    publicKey: key.publicKey,
    comment: key.comment,
    hasPassphrase: key.hasPassphrase,
    createdBy: key.createdBy,
    createdAt: key.createdAt,
    origin: key.origin,
  };
}

/** The import's refusals of the key text itself (unreadable, wrong passphrase) belong to their fields. */
async function importFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await withFieldErrors({ conflict: 'name' }, work);
  } catch (err) {
    if (err instanceof InvalidInputError && !(err instanceof FieldInputError)) {
      const field = /passphrase/i.test(err.message) ? 'passphrase' : 'privateKey';
      throw new FieldInputError(field, err.message, err.code);
    }
    throw err;
  }
}

export function registerSshKeyConsoleRoutes(
  router: NativeRouter,
  deps: { sshKeys: SshKeysService; deployments: SshKeyDeployments },
): void {
  const { sshKeys, deployments } = deps;

  /** The key of the URL, if the caller may see it (otherwise it answers as a missing one). */
  const keyOf = (caller: Caller, params: Readonly<Record<string, string>>): Promise<SshKeyView> =>
    sshKeys.getById(caller, parseId(params.keyId, 'SSH key'));

  router.add({
    method: 'GET',
    url: '/api/v1/ssh-keys',
    summary: 'The SSH keys the caller may see, and the types and lengths a new key may have',
    tag: 'ssh-keys',
    access: 'signed-in',
    response: z.object({
      items: z.array(keyView),
      types: z.array(z.object({ type: z.enum(SSH_KEY_TYPES), lengths: z.array(z.number()) })),
    }),
    async handle({ caller }) {
      return {
        items: (await sshKeys.list(caller)).map(viewOf),
        types: SSH_KEY_TYPES.map((type) => ({ type, lengths: [...CREATE_LENGTHS[type]] })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys',
    summary: 'Create an SSH key pair (endpoint 25); the caller owns it',
    tag: 'ssh-keys',
    access: 'signed-in',
    status: 201,
    body: newKey,
    response: keyView,
    async handle({ caller, body }) {
      const key = await withFieldErrors({ conflict: 'name' }, () =>
        sshKeys.create(caller, {
          name: body.name,
          type: body.type,
          bits: body.bits,
          comment: body.comment || undefined,
          passphrase: body.passphrase,
        }),
      );
      return viewOf(key);
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys/import',
    summary: 'Import a private key (endpoint 51): its text, and its passphrase when it has one',
    tag: 'ssh-keys',
    access: 'signed-in',
    status: 201,
    body: importedKey,
    response: keyView,
    async handle({ caller, body }) {
      const key = await importFieldErrors(() =>
        sshKeys.import(caller, {
          name: body.name,
          keyText: body.privateKey,
          comment: body.comment || undefined,
          passphrase: body.passphrase,
        }),
      );
      return viewOf(key);
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys/:keyId/export',
    summary: 'Download the private key file (endpoint 29: through the release gate, audited)',
    tag: 'ssh-keys',
    access: 'signed-in',
    async handle({ caller, params }) {
      const key = await keyOf(caller, params);
      const { view, privateKey } = await sshKeys.export(caller, key.name);
      return new NativeFile(
        `${view.name.replace(/[^A-Za-z0-9._-]/g, '_')}.key`,
        'application/octet-stream',
        privateKey,
      );
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/ssh-keys/:keyId',
    summary: 'Delete an SSH key (endpoint 26): dissociated from its hosts first unless withoutDissociation',
    tag: 'ssh-keys',
    access: 'signed-in',
    body: z.object({ withoutDissociation: z.boolean().default(false) }),
    response: z.object({
      dissociated: z.array(z.string()),
      left: z.array(z.string()),
      hiddenLeft: z.number(),
    }),
    async handle({ caller, params, body }) {
      const key = await keyOf(caller, params);
      const { dissociated, left, hiddenLeft } = await deployments.deleteKey(
        caller,
        key.name,
        body.withoutDissociation,
      );
      return { dissociated, left, hiddenLeft };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys/:keyId/shares',
    summary:
      "Share the key with a user or a user group, or revoke the share (as shareSSHKey: only the key's owner or a super administrator)",
    tag: 'ssh-keys',
    access: 'signed-in',
    body: keyShare,
    response: z.object({ key: z.string(), grantee: z.string(), shared: z.boolean() }),
    async handle({ caller, params, body }) {
      const key = await keyOf(caller, params);
      const grantee =
        body.grantee.kind === 'user' ? { userName: body.grantee.name } : { groupName: body.grantee.name };
      return granteeFieldErrors(() =>
        sshKeys.share(caller, key.name, grantee, body.permission === 'revoke' ? undefined : body.permission),
      );
    },
  });

  router.add({
    method: 'GET',
    url: '/api/v1/ssh-keys/:keyId/deployments',
    summary: 'Where the key is associated (endpoint 31 for one key): resource, account, by whom, when',
    tag: 'ssh-keys',
    access: 'signed-in',
    response: z.object({
      items: z.array(
        z.object({
          resourceName: z.string(),
          userName: z.string(),
          deployedBy: z.string(),
          deployedAt: z.number(),
        }),
      ),
    }),
    async handle({ caller, params }) {
      const key = await keyOf(caller, params);
      const rows = await deployments.list(caller, key.name);
      return {
        items: rows.map((r) => ({
          resourceName: r.resourceName,
          userName: r.userName,
          deployedBy: r.deployedBy,
          deployedAt: r.deployedAt,
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/ssh-keys/:keyId/deployments',
    summary:
      'Associate the key with an account of a resource (endpoint 52): into its authorized_keys on the host, verified by logging in',
    tag: 'ssh-keys',
    access: 'signed-in',
    status: 201,
    body: deploymentTarget,
    response: z.object({
      resourceName: z.string(),
      userName: z.string(),
      outcome: z.enum(['added', 'present']),
    }),
    async handle({ caller, params, body }) {
      const key = await keyOf(caller, params);
      const done = await resourceFieldErrors(() =>
        deployments.associate(caller, { keyName: key.name, ...body }),
      );
      return { resourceName: done.resourceName, userName: done.userName, outcome: done.outcome };
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/ssh-keys/:keyId/deployments',
    summary:
      "Dissociate the key from an account of a resource (endpoint 53): its lines off the host's authorized_keys",
    tag: 'ssh-keys',
    access: 'signed-in',
    body: deploymentTarget,
    response: z.object({ removed: z.number() }),
    async handle({ caller, params, body }) {
      const key = await keyOf(caller, params);
      return resourceFieldErrors(() => deployments.dissociate(caller, { keyName: key.name, ...body }));
    },
  });
}

/** "Resource X does not exist" belongs beside the resource field. */
async function resourceFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof NotFoundError && /^Resource /i.test(err.message)) {
      throw new FieldInputError('resourceName', err.message, err.code);
    }
    throw err;
  }
}

/**
 * The share's refusals about whom it names (no such user or group, the key's own owner, no share
 * to revoke) belong beside the user or group field; "only the owner may share" stays form-wide.
 */
async function granteeFieldErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (
      (err instanceof NotFoundError &&
        /^(User|User group) .* does not exist$|is not shared to/.test(err.message)) ||
      (err instanceof InvalidInputError &&
        !(err instanceof FieldInputError) &&
        / owns SSH key /.test(err.message))
    ) {
      throw new FieldInputError('grantee.name', err.message, err.code);
    }
    throw err;
  }
}

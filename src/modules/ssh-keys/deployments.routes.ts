import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import { MissingFieldError } from '../../platform/errors.js';
import type { TimeFormatter } from '../../platform/time.js';
import type { SshKeyDeployments } from './deployments.service.js';
import { keyName } from './ssh-keys.routes.js';

const PKI = '/api/pki/restapi';

/** Names of resources and accounts; Linux account names are much shorter, the host checks them. */
const NAME_LIMIT = 255;

/** A mandatory text field of Details, trimmed; blank text is missing. */
const text = (name: string) =>
  f.group([name], (input: PmpInput) => {
    const value = input.details().string(name, { maxLength: NAME_LIMIT });
    if (value === undefined || value.trim() === '') throw new MissingFieldError(name);
    return value.trim();
  });

const deploymentTarget = {
  keyName,
  resourceName: text('resourceName'),
  userName: text('userName'),
};

/** Lists with more than a few names say how many more there are. */
function some(names: readonly string[], hidden = 0): string {
  const shown = names.slice(0, 10).join(', ');
  const more = names.length - Math.min(names.length, 10) + hidden;
  return more > 0 ? `${shown}${shown ? ' and ' : ''}${more} more` : shown;
}

/**
 * Keys on hosts in the PKI API (docs/ssh-keys.md "Keys on hosts", ADR 033): associate (52),
 * dissociate (53), the keys of an account (30, with our `reconcile`), every deployment (31), and
 * delete (26), which dissociates first.
 */
export function registerSshKeyDeploymentRoutes(
  router: PmpRouter,
  deps: { deployments: SshKeyDeployments; time: TimeFormatter },
): void {
  const { deployments, time } = deps;

  router.add({
    method: 'POST',
    url: `${PKI}/associateKey`,
    operation: 'associateKey',
    schema: inputSchema(deploymentTarget),
    async handle({ caller, fields }) {
      await deployments.associate(caller, fields);
      return { message: 'Key associated successfully' };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/dissociateKey`,
    operation: 'dissociateKey',
    schema: inputSchema(deploymentTarget),
    async handle({ caller, fields }) {
      const { removed } = await deployments.dissociate(caller, fields);
      return {
        message:
          removed > 0
            ? 'Key dissociated successfully.'
            : 'Key dissociated successfully. It was not found on the host; its record is removed.',
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getSSHkeysforuser`,
    operation: 'GetSSHKeysForUser',
    schema: inputSchema({
      resourceName: text('resourceName'),
      userName: text('userName'),
      reconcile: f.boolean('reconcile'),
    }),
    async handle({ caller, fields }) {
      const reconcile = fields.reconcile ?? false;
      const found = await deployments.keysOfAccount(caller, { ...fields, reconcile });
      const message = `SSH keys for user ${found.userName} of resource ${found.resourceName} fetched successfully`;
      // The reference answers the names as one comma-separated string.
      const details = found.keys.map((k) => k.keyName).join(',');
      if (!reconcile) return { message, details };
      const gone = found.keys.filter((k) => k.onHost === false).map((k) => k.keyName);
      return {
        message:
          gone.length === 0
            ? `${message}; every recorded key is on the host`
            : `${message}; ${gone.length} recorded key(s) gone from the host: ${some(gone)}`,
        details,
        extra: {
          Reconciliation: found.keys.map((k) => ({
            KeyName: k.keyName,
            FingerPrint: k.fingerprint,
            OnHost: k.onHost ?? false,
          })),
        },
      };
    },
  });

  router.add({
    method: 'GET',
    url: `${PKI}/getAllAssociatedUsers`,
    operation: 'GetAllAssociatedUsers',
    schema: NO_INPUT,
    async handle({ caller }) {
      const rows = await deployments.list(caller);
      return {
        message: 'All associated users fetched successfully',
        totalRows: rows.length,
        // The reference's sample shows UserName and ResourceName; the key and who put it there follow.
        details: rows.map((r) => ({
          UserName: r.userName,
          ResourceName: r.resourceName,
          KeyName: r.keyName,
          FingerPrint: r.fingerprint,
          AssociatedBy: r.deployedBy,
          AssociatedTime: time.pmpDateTime(r.deployedAt),
        })),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${PKI}/deleteSSHKey`,
    operation: 'DeleteSSHKey',
    schema: inputSchema({ name: keyName, withoutDissociation: f.boolean('withoutDisassociation') }),
    async handle({ caller, fields }) {
      const { key, left, hiddenLeft } = await deployments.deleteKey(
        caller,
        fields.name,
        fields.withoutDissociation ?? false,
      );
      const message = `SSH keys ${key.name} deleted successfully`;
      return {
        message:
          left.length + hiddenLeft === 0
            ? message
            : `${message}; not dissociated, it stays in authorized_keys of ${some(left, hiddenLeft)}`,
      };
    },
  });
}

import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, type FieldSpec } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import type { SharePermission } from '../../platform/db/schema.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import {
  DEFAULT_SHARE_PERMISSION,
  GROUP_LIMITS,
  type ShareChange,
  type ShareGrantee,
} from './certificate-groups.types.js';
import type { CertificateShares } from './certificate-shares.service.js';
import { selector } from './certificates.routes.js';

const PKI = '/api/pki/restapi';

/** A numeric id sent as a number or text. */
function idOf(field: string, text: string): number {
  if (!/^\d{1,15}$/.test(text))
    throw new InvalidInputError(`${field} must be a numeric ID; got "${text.slice(0, 20)}"`);
  return Number(text);
}

/** The grantee of a user endpoint (`userId`, or `userName`) or a user-group one (`userGroupId`, or `userGroupName`). */
function grantee(kind: 'user' | 'group'): FieldSpec<ShareGrantee> {
  const [idField, nameField] = kind === 'user' ? ['userId', 'userName'] : ['userGroupId', 'userGroupName'];
  return f.group([idField, nameField], (input: PmpInput): ShareGrantee => {
    const d = input.details();
    const id = d.string(idField, { maxLength: 20 })?.trim();
    const name = d.string(nameField, { maxLength: GROUP_LIMITS.name })?.trim();
    if (id) return { kind, id: idOf(idField, id) } as ShareGrantee;
    if (name) return { kind, name } as ShareGrantee;
    throw new MissingFieldError(idField);
  });
}

/** The permission of a share: view (the default: the reference's requests name none), modify or full. */
const permission = f.group(['permission'], (input: PmpInput): SharePermission => {
  const text = input.details().string('permission', { maxLength: 20 })?.trim().toLowerCase();
  if (text === undefined || text === '') return DEFAULT_SHARE_PERMISSION;
  const level = new Map<string, SharePermission>([
    ['view', 'view'],
    ['modify', 'modify'],
    ['full', 'full'],
    ['fullaccess', 'full'],
  ]).get(text.replace(/[\s_]/g, ''));
  if (!level)
    throw new InvalidInputError(`permission must be view, modify or full; got "${text.slice(0, 20)}"`);
  return level;
});

/** The group of 67, 68, 71, 72. */
const groupName = f.group(['certificate_group_name'], (input: PmpInput) => {
  const name = input.details().string('certificate_group_name', { maxLength: GROUP_LIMITS.name })?.trim();
  if (!name) throw new MissingFieldError('certificate_group_name');
  return name;
});

const SHARED = 'Certificate shared successfully.';
const REVOKED = 'Access to certificate revoked successfully.';

/**
 * Sharing and revoking certificates and certificate groups (endpoints 65-72, ADR 040), answered
 * as the reference (`ShareCertificate` / `RevokeCertificate`, its messages); the grantee and the
 * level are named in `details`. None declares an A2A operation: applications are refused.
 */
export function registerCertificateShareRoutes(router: PmpRouter, deps: { shares: CertificateShares }): void {
  const { shares } = deps;
  const revoke: ShareChange = { revoke: true };

  for (const [kind, suffix] of [
    ['user', 'User'],
    ['group', 'UserGroup'],
  ] as const) {
    router.add({
      method: 'POST',
      url: `${PKI}/shareCertificateTo${suffix}`,
      operation: 'ShareCertificate',
      schema: inputSchema({ selector, grantee: grantee(kind), permission }),
      async handle({ caller, fields }) {
        const done = await shares.certificate(caller, fields.selector, fields.grantee, {
          grant: fields.permission,
        });
        return {
          message: SHARED,
          details: { certificate: done.certificate, sharedTo: done.grantee, permission: fields.permission },
        };
      },
    });
    router.add({
      method: 'POST',
      url: `${PKI}/revokeCertificateFrom${suffix}`,
      operation: 'RevokeCertificate',
      schema: inputSchema({ selector, grantee: grantee(kind) }),
      async handle({ caller, fields }) {
        const done = await shares.certificate(caller, fields.selector, fields.grantee, revoke);
        return { message: REVOKED, details: { certificate: done.certificate, revokedFrom: done.grantee } };
      },
    });
    router.add({
      method: 'POST',
      url: `${PKI}/shareCertificateGroupTo${suffix}`,
      operation: 'ShareCertificate',
      schema: inputSchema({ group: groupName, grantee: grantee(kind), permission }),
      async handle({ caller, fields }) {
        const done = await shares.group(caller, fields.group, fields.grantee, { grant: fields.permission });
        return {
          message: SHARED,
          details: { certificateGroup: done.group, sharedTo: done.grantee, permission: fields.permission },
        };
      },
    });
    router.add({
      method: 'POST',
      url: `${PKI}/revokeCertificateGroupFrom${suffix}`,
      operation: 'RevokeCertificate',
      schema: inputSchema({ group: groupName, grantee: grantee(kind) }),
      async handle({ caller, fields }) {
        const done = await shares.group(caller, fields.group, fields.grantee, revoke);
        return { message: REVOKED, details: { certificateGroup: done.group, revokedFrom: done.grantee } };
      },
    });
  }
}

import type { PmpInput } from '../../http/input.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import type { PmpRouter } from '../../http/server.js';
import type { TimeFormatter } from '../../platform/time.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import type { CertificateGroups } from './certificate-groups.service.js';
import { GROUP_LIMITS, type CertificateGroupView } from './certificate-groups.types.js';
import type { SslAgentInstallKeys } from './install-key.service.js';

const PKI = '/api/pki/restapi';
const V1 = '/restapi/json/v1';

/** A text field trimmed, undefined when absent; '' kept (it clears a description or mail on edit). */
function text(name: string, maxLength: number) {
  return f.group([name], (input: PmpInput) => input.details().string(name, { maxLength })?.trim());
}

const mail = f.group(['group_mail'], (input: PmpInput) => {
  const value = input.details().string('group_mail', { maxLength: GROUP_LIMITS.mail })?.trim();
  if (value && !/^[^\s@]+@[^\s@]+$/.test(value)) {
    throw new InvalidInputError(`group_mail must be an email address; got "${value.slice(0, 40)}"`);
  }
  return value;
});

/** ssl_details: certificate ids, "301,202" or a list; undefined when absent (edit keeps the members). */
const members = f.group(['ssl_details'], (input: PmpInput) => {
  const d = input.details();
  if (!d.has('ssl_details')) return undefined;
  return d.idList('ssl_details', 'certificate', { maxItems: GROUP_LIMITS.members });
});

function requiredName(name: string) {
  return f.group([name], (input: PmpInput) => {
    const value = input.details().string(name, { maxLength: GROUP_LIMITS.name })?.trim();
    if (!value) throw new MissingFieldError(name);
    return value;
  });
}

/** editCertificateGroup's group: `group_id`, else `old_group_name`, else `group_name` itself. */
const editedGroup = f.group(['group_id', 'old_group_name'], (input: PmpInput) => {
  const d = input.details();
  const id = d.string('group_id', { maxLength: 20 })?.trim();
  if (id) {
    if (!/^\d{1,15}$/.test(id))
      throw new InvalidInputError(`group_id must be a numeric ID; got "${id.slice(0, 20)}"`);
    return { id: Number(id) };
  }
  return d.string('old_group_name', { maxLength: GROUP_LIMITS.name })?.trim() || undefined;
});

/** A group as the native answers show it. */
export function groupDetails(g: CertificateGroupView) {
  return {
    groupId: String(g.id),
    groupName: g.name,
    groupDescription: g.description ?? '',
    groupMail: g.mail ?? '',
    certificateIds: g.certificateIds.map(String),
  };
}

/**
 * Certificate groups (73-75) and the SSL agent install key (76), answered as the reference
 * (ADR 040). None declares an A2A operation: applications are refused.
 */
export function registerCertificateGroupRoutes(
  router: PmpRouter,
  deps: { groups: CertificateGroups; installKeys: SslAgentInstallKeys; time: TimeFormatter },
): void {
  const { groups, installKeys, time } = deps;

  // Native (ADR 040): the reference has no way to list certificate groups.
  router.add({
    method: 'GET',
    url: `${V1}/certificates/groups`,
    operation: 'GET CERTIFICATE GROUPS',
    schema: NO_INPUT,
    async handle({ caller }) {
      const list = await groups.list(caller);
      return {
        message: `${list.length} certificate group(s) fetched successfully`,
        totalRows: list.length,
        details: list.map((g) => ({
          GROUPID: String(g.id),
          GROUPNAME: g.name,
          DESCRIPTION: g.description ?? '',
          GROUPMAIL: g.mail ?? '',
          OWNER: g.owner ?? '',
          ACCESS: g.access,
          CREATEDTIME: time.auditTime(g.createdAt),
          MODIFIEDTIME: time.auditTime(g.modifiedAt),
          MEMBERCOUNT: g.members.length,
          MEMBERS: g.members.map((m) => ({
            CERTIFICATEID: String(m.id),
            COMMONNAME: m.commonName,
            SERIALNUMBER: m.serial,
            EXPIRYDATE: time.auditTime(m.notAfter),
          })),
        })),
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/createCertificateGroup`,
    operation: 'createCertificateGroup',
    schema: inputSchema({
      name: requiredName('group_name'),
      description: text('group_description', GROUP_LIMITS.description),
      mail,
      members,
    }),
    async handle({ caller, fields }) {
      const group = await groups.create(caller, {
        name: fields.name,
        description: fields.description || undefined,
        mail: fields.mail || undefined,
        certificateIds: fields.members ?? [],
      });
      return { message: 'Certificate group added successfully.', details: groupDetails(group) };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${PKI}/deleteCertificateGroup`,
    operation: 'deleteCertificateGroup',
    schema: inputSchema({ name: requiredName('group_name') }),
    async handle({ caller, fields }) {
      const group = await groups.remove(caller, fields.name);
      return { message: 'The certificate group is deleted successfully.', details: groupDetails(group) };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/editCertificateGroup`,
    operation: 'editCertificateGroup',
    schema: inputSchema({
      group: editedGroup,
      name: requiredName('group_name'),
      newName: text('new_group_name', GROUP_LIMITS.name),
      description: text('group_description', GROUP_LIMITS.description),
      mail,
      members,
    }),
    async handle({ caller, fields }) {
      // The reference's sample sends only group_name: the group it names. With group_id or
      // old_group_name naming the group, group_name is its new name; new_group_name renames too.
      const group = await groups.edit(caller, {
        group: fields.group ?? fields.name,
        name: fields.newName || (fields.group === undefined ? undefined : fields.name),
        description: fields.description,
        mail: fields.mail,
        certificateIds: fields.members,
      });
      return { message: 'The certificate group is updated successfully.', details: groupDetails(group) };
    },
  });

  router.add({
    method: 'POST',
    url: `${PKI}/generateInstallKey`,
    operation: 'GetAgentInstallKey',
    schema: NO_INPUT,
    async handle({ caller }) {
      const { key } = await installKeys.generate(caller);
      // Shown once: only its SHA-256 is kept.
      return {
        message: 'Agent install key fetched successfully',
        totalRows: 1,
        extra: { AgentInstallKey: key.reveal() },
      };
    },
  });
}

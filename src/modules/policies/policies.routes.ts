import type { PmpRouter } from '../../http/server.js';
import { f, inputSchema, NO_INPUT } from '../../http/input-schema.js';
import { SUCCESS_CODE } from '../../http/envelope.js';
import { parseId } from '../../http/ids.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { policyAttributes, readRuleAttributes, RULE_ATTRIBUTE_NAMES } from './policies.attributes.js';
import type { PolicyService } from './policies.service.js';
import { POLICY_LIMITS, type PolicyDraft } from './policies.types.js';
import type { PmpInput } from '../../http/input.js';

const V1 = '/restapi/json/v1';
const POLICY_FAILED_CODE = RESULT_CODES.policyRefused.code;

function readDraft(input: PmpInput): PolicyDraft {
  const details = input.details();
  return {
    name: details.string('POLICYNAME', { maxLength: POLICY_LIMITS.name }) || undefined,
    description: details.string('DESCRIPTION', { maxLength: POLICY_LIMITS.description }),
    isDefault: details.boolean('DEFAULTPOLICY'),
    rules: readRuleAttributes(details),
  };
}

const DRAFT_NAMES = ['POLICYNAME', 'DESCRIPTION', 'DEFAULTPOLICY', ...RULE_ATTRIBUTE_NAMES];

/**
 * Endpoints 16 (generate), 77 (list) and 86 (validate), and the native create, edit and delete
 * of custom policies (the original offers these only in its web interface).
 */
export function registerPolicyRoutes(router: PmpRouter, { policies }: { policies: PolicyService }): void {
  // 77
  router.add({
    method: 'GET',
    url: `${V1}/passwords/policies`,
    operation: 'GET PASSWORD POLICIES',
    schema: NO_INPUT,
    async handle() {
      const list = await policies.list();
      return {
        message: 'Password Policies fetched successfully',
        details: { ORGANIZATION: 'N/A', POLICIES: list.map(policyAttributes) },
        totalRows: list.length,
      };
    },
  });

  router.add({
    method: 'POST',
    url: `${V1}/passwords/policies`,
    operation: 'CREATE PASSWORD POLICY',
    schema: inputSchema({
      draft: f.group(DRAFT_NAMES, (input) => {
        const draft = readDraft(input);
        if (!draft.name) throw new MissingFieldError('POLICYNAME');
        return draft;
      }),
    }),
    async handle({ caller, fields: { draft } }) {
      const policy = await policies.create({ caller }, draft);
      return {
        message: `Password policy ${policy.name} created successfully`,
        details: policyAttributes(policy),
      };
    },
  });

  router.add({
    method: 'PUT',
    url: `${V1}/passwords/policies/:policyId`,
    operation: 'EDIT PASSWORD POLICY',
    schema: inputSchema({ draft: f.group(DRAFT_NAMES, readDraft) }),
    async handle({ caller, fields, params }) {
      const id = parseId(params.policyId, 'password policy');
      const policy = await policies.edit({ caller }, id, fields.draft);
      return {
        message: `Password policy ${policy.name} modified successfully`,
        details: policyAttributes(policy),
      };
    },
  });

  router.add({
    method: 'DELETE',
    url: `${V1}/passwords/policies/:policyId`,
    operation: 'DELETE PASSWORD POLICY',
    schema: NO_INPUT,
    async handle({ caller, params }) {
      const id = parseId(params.policyId, 'password policy');
      const name = await policies.delete({ caller }, id);
      return { message: `Password policy ${name} deleted successfully` };
    },
  });

  // 16
  router.add({
    method: 'GET',
    url: `${V1}/passwords/generate`,
    operation: 'GENERATE PASSWORD',
    // Generating reveals nothing stored; PMP_API CREATE uses it when no password is given.
    a2aOperation: ['CREATE', 'RESET_LOCAL', 'RESET_REMOTE'],
    schema: inputSchema({ policy: f.value('POLICY', POLICY_LIMITS.name) }),
    async handle({ fields }) {
      const { password } = await policies.generate(fields.policy);
      return { message: 'Password generated successfully.', details: { PASSWORD: password } };
    },
  });

  // 86
  router.add({
    method: 'POST',
    url: `${V1}/passwords/validate`,
    operation: 'VALIDATE_PASSWORD',
    schema: inputSchema({
      password: f.secret('password', { required: true, maxLength: 1000 }),
      policy: f.group(['passwordPolicy', 'passwordPolicyId'], (input) => {
        const details = input.details();
        const byName = details.string('passwordPolicy', { maxLength: POLICY_LIMITS.name });
        const byId = details.string('passwordPolicyId', { maxLength: 40 });
        const ref = byName || byId;
        if (!ref)
          throw new InvalidInputError(
            'passwordPolicy or passwordPolicyId is mandatory and was not given',
            RESULT_CODES.missingField.code,
          );
        if (!byName && byId && !/^\d{1,15}$/.test(byId)) parseId(byId, 'password policy');
        return ref;
      }),
    }),
    async handle({ fields: { password, policy: ref } }) {
      const failed = await policies.validate(password, ref);
      if (failed === undefined) return { message: 'Valid', statusCode: SUCCESS_CODE };
      return { status: 'Failed', statusCode: POLICY_FAILED_CODE, message: failed };
    },
  });
}

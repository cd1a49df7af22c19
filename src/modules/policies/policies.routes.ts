import type { PmpRouter } from '../../http/server.js';
import { SUCCESS_CODE } from '../../http/envelope.js';
import { parseId } from '../../http/ids.js';
import { InvalidInputError, MissingFieldError } from '../../platform/errors.js';
import { RESULT_CODES } from '../../platform/result-codes.js';
import { policyAttributes, readRuleAttributes } from './policies.attributes.js';
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
    async handle({ caller, input }) {
      const draft = readDraft(input);
      if (!draft.name) throw new MissingFieldError('POLICYNAME');
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
    async handle({ caller, input, params }) {
      const id = parseId(params.policyId, 'password policy');
      const policy = await policies.edit({ caller }, id, readDraft(input));
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
    async handle({ input }) {
      const name = input.value('POLICY', POLICY_LIMITS.name) || undefined;
      const { password } = await policies.generate(name);
      return { message: 'Password generated successfully.', details: { PASSWORD: password } };
    },
  });

  // 86
  router.add({
    method: 'POST',
    url: `${V1}/passwords/validate`,
    operation: 'VALIDATE_PASSWORD',
    async handle({ input }) {
      const details = input.details();
      const password = details.secret('password', { required: true, maxLength: 1000 })!;
      const byName = details.string('passwordPolicy', { maxLength: POLICY_LIMITS.name });
      const byId = details.string('passwordPolicyId', { maxLength: 40 });
      const ref = byName || byId;
      if (!ref)
        throw new InvalidInputError(
          'passwordPolicy or passwordPolicyId is mandatory and was not given',
          RESULT_CODES.missingField.code,
        );
      if (!byName && byId && !/^\d{1,15}$/.test(byId)) parseId(byId, 'password policy');
      const failed = await policies.validate(password, ref);
      if (failed === undefined) return { message: 'Valid', statusCode: SUCCESS_CODE };
      return { status: 'Failed', statusCode: POLICY_FAILED_CODE, message: failed };
    },
  });
}

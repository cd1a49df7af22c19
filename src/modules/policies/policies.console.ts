import { z } from 'zod';
import { parseId } from '../../http/ids.js';
import type { NativeRouter } from '../../http/native.js';
import { nameField, withFieldErrors } from '../../http/native-fields.js';
import { policyView, rulesShape, viewOfPolicy } from './policy-view.js';
import type { PolicyService } from './policies.service.js';
import { POLICY_LIMITS, type PolicyDraft, type PolicyRules } from './policies.types.js';

/**
 * Both lengths given: the minimum may not be above the maximum, answered beside `Minimum length`.
 * One given alone is checked by the service against the stored other (an edit of one rule).
 */
const rules = z
  .object(rulesShape)
  .partial()
  .strict()
  .superRefine((r, ctx) => {
    if (r.minLength !== undefined && r.maxLength !== undefined && r.minLength > r.maxLength) {
      ctx.addIssue({
        code: 'custom',
        path: ['minLength'],
        // The service's words for the same contradiction.
        message: `Contradictory password policy: the minimum length (${r.minLength}) is above the maximum length (${r.maxLength})`,
      });
    }
  });

const description = z
  .string()
  .trim()
  .max(POLICY_LIMITS.description, `At most ${POLICY_LIMITS.description} characters`)
  .regex(/^[^\x00-\x1f\x7f]*$/, 'Control characters are not allowed');

const newPolicy = z.object({
  name: nameField(POLICY_LIMITS.name),
  description: description.optional(),
  isDefault: z.boolean().optional(),
  rules: rules.default({}),
});

const policyEdit = z.object({
  name: nameField(POLICY_LIMITS.name).optional(),
  description: description.optional(),
  isDefault: z.boolean().optional(),
  rules: rules.default({}),
});

/** zod's optional keys as the service's draft: only the keys present, `undefined` never sent on. */
function draftOf(body: {
  name?: string | undefined;
  description?: string | undefined;
  isDefault?: boolean | undefined;
  rules: Partial<Record<keyof PolicyRules, number | boolean | undefined>>;
}): PolicyDraft {
  const given = Object.fromEntries(Object.entries(body.rules).filter(([, v]) => v !== undefined));
  return {
    ...(body.name !== undefined ? { name: body.name } : {}),
    ...(body.description !== undefined ? { description: body.description } : {}),
    ...(body.isDefault !== undefined ? { isDefault: body.isDefault } : {}),
    rules: given,
  };
}

/**
 * Password policies in the console (ADR 042): the list for everyone (as endpoint 77), create,
 * edit and delete for administrators, as the policy service decides.
 */
export function registerPolicyConsoleRoutes(router: NativeRouter, deps: { policies: PolicyService }): void {
  const { policies } = deps;

  router.add({
    method: 'GET',
    url: '/api/v1/password-policies',
    summary: 'Every password policy with its rules; the default one marked',
    tag: 'policies',
    access: 'signed-in',
    response: z.object({ items: z.array(policyView) }),
    async handle() {
      return { items: (await policies.list()).map(viewOfPolicy) };
    },
  });

  router.add({
    method: 'POST',
    url: '/api/v1/password-policies',
    summary: 'Create a password policy (administrators); rules left out are the most lenient',
    tag: 'policies',
    access: 'signed-in',
    status: 201,
    body: newPolicy,
    response: policyView,
    async handle({ caller, body }) {
      const policy = await withFieldErrors({ conflict: 'name' }, () =>
        policies.create({ caller }, draftOf(body)),
      );
      return viewOfPolicy(policy);
    },
  });

  router.add({
    method: 'PUT',
    url: '/api/v1/password-policies/:policyId',
    summary: 'Edit a password policy (administrators); rules left out stay as they are',
    tag: 'policies',
    access: 'signed-in',
    body: policyEdit,
    response: policyView,
    async handle({ caller, params, body }) {
      const id = parseId(params.policyId, 'password policy');
      const policy = await withFieldErrors({ conflict: 'name' }, () =>
        policies.edit({ caller }, id, draftOf(body)),
      );
      return viewOfPolicy(policy);
    },
  });

  router.add({
    method: 'DELETE',
    url: '/api/v1/password-policies/:policyId',
    summary: 'Delete a password policy (administrators); refused for the default, built-in and in use',
    tag: 'policies',
    access: 'signed-in',
    async handle({ caller, params }) {
      await policies.delete({ caller }, parseId(params.policyId, 'password policy'));
      return {};
    },
  });
}

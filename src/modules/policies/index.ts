export { createPolicyService, type PolicyCatalog, type PolicyService } from './policies.service.js';
export { registerPolicyRoutes } from './policies.routes.js';
export { generatePassword, policyViolation, type CheckContext } from './policy-engine.js';
export type { PasswordPolicy, PolicyDraft, PolicyRules } from './policies.types.js';
export { policyAttributes, readRuleAttributes } from './policies.attributes.js';
export { registerPolicyConsoleRoutes } from './policies.console.js';
export { policyView, viewOfPolicy } from './policy-view.js';

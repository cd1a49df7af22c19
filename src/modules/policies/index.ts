export { createPolicyService, type PolicyCatalog, type PolicyService } from './policies.service.js';
export { registerPolicyRoutes } from './policies.routes.js';
export { generatePassword, policyViolation, type CheckContext } from './policy-engine.js';
export type { PasswordPolicy, PolicyDraft, PolicyRules } from './policies.types.js';
export { policyAttributes, readRuleAttributes } from './policies.attributes.js';
export { registerPolicyConsoleRoutes, policyView, viewOfPolicy } from './policies.console.js';

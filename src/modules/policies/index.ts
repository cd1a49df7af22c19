export { createPolicyCatalog, type PolicyCatalog } from './policies.service.js';
export { loginPasswordProblems } from './login-password-rules.js';

export { createPolicyCatalog, type PolicyCatalog } from './policies.service.js';

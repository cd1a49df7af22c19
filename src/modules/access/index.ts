export { createAccessPolicy, mayAdministerUsers, type AccessPolicy } from './access.service.js';
export { allows, broadest, type Permission, type ResourceScope } from './access.types.js';

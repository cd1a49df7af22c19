export {
  authoriseAdministrator,
  createAccessPolicy,
  mayAdministerUsers,
  type AccessPolicy,
  type Administrator,
} from './access.service.js';
export { allows, broadest, type Permission, type ResourceScope } from './access.types.js';
export { DYNAMIC_MEMBER, type Grant } from './access.repository.js';

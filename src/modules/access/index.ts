export {
  authoriseAdministrator,
  createAccessPolicy,
  type AccessPolicy,
  type Administrator,
} from './access.service.js';
export {
  allows,
  broadest,
  type CertificateScope,
  type Permission,
  type ResourceScope,
  type SshKeyScope,
} from './access.types.js';
export { type Grant } from './access.repository.js';
export { certificateGrants } from './certificate-grants.js';
export { DYNAMIC_MEMBER, groupResourceIds } from './dynamic-member.js';
export {
  can,
  capabilitiesOf,
  roleCan,
  roleCovers,
  ROLE_CAPABILITIES,
  type Capability,
} from './capabilities.js';

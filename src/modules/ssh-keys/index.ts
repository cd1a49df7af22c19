export { createSshKeysService, type SshKeysService } from './ssh-keys.service.js';
export { registerSshKeyRoutes } from './ssh-keys.routes.js';

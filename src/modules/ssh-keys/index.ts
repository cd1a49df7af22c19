export { createSshKeysService, type SshKeysService } from './ssh-keys.service.js';
export { registerSshKeyRoutes } from './ssh-keys.routes.js';
export { SSH_KEY_TYPES, type SshKeyType, type SshKeyView } from './ssh-keys.types.js';

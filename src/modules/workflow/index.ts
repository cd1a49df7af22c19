export { CHECK_IN_EXPIRED_JOB, createWorkflowService, type WorkflowService } from './workflow.service.js';
export { registerWorkflowRoutes } from './workflow.routes.js';
export type { RequestableAccount, WorkflowSettings, WorkflowVault } from './workflow.types.js';
export { createCheckoutGate, type CheckoutGate, type ControlledAccount } from './checkout-gate.js';
export { registerWorkflowConsoleRoutes } from './workflow.console.js';

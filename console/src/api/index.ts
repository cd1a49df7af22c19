/**
 * The console's client of the JSON API under /api/v1, one file per capability (as the server's
 * modules); `http.ts` is the only place that calls `fetch`. Screens import from here.
 */
import { applicationsApi } from './applications';
import { auditApi } from './audit';
import { certificateLifecycleApi } from './certificateLifecycle';
import { certificatesApi } from './certificates';
import { dashboardApi } from './dashboard';
import { groupsApi } from './groups';
import { jobsApi } from './jobs';
import { policiesApi } from './policies';
import { resourcesApi } from './resources';
import { sessionApi } from './session';
import { sshKeyLifecycleApi } from './sshKeyLifecycle';
import { sshKeysApi } from './sshKeys';
import { usersApi } from './users';
import { workflowApi } from './workflow';

export * from './applications';
export * from './audit';
export * from './certificateLifecycle';
export * from './certificates';
export * from './dashboard';
export * from './groups';
export * from './jobs';
export {
  ApiError,
  dispositionFileName,
  onUnauthorised,
  sessionEndsAt,
  setCsrfToken,
  subscribeSessionEnd,
  type DownloadedFile,
} from './http';
export * from './policies';
export * from './resources';
export * from './session';
export * from './sshKeyLifecycle';
export * from './sshKeys';
export * from './users';
export * from './workflow';

export const api = {
  ...sessionApi,
  ...resourcesApi,
  ...groupsApi,
  ...workflowApi,
  ...usersApi,
  ...auditApi,
  ...dashboardApi,
  ...applicationsApi,
  ...sshKeysApi,
  ...sshKeyLifecycleApi,
  ...certificatesApi,
  ...jobsApi,
  ...certificateLifecycleApi,
  ...policiesApi,
};

/**
 * The console's client of the JSON API under /api/v1, one file per capability (as the server's
 * modules); `http.ts` is the only place that calls `fetch`. Screens import from here.
 */
import { auditApi } from './audit';
import { dashboardApi } from './dashboard';
import { groupsApi } from './groups';
import { policiesApi } from './policies';
import { resourcesApi } from './resources';
import { sessionApi } from './session';
import { usersApi } from './users';
import { workflowApi } from './workflow';

export * from './audit';
export * from './dashboard';
export * from './groups';
export * from './policies';
export { ApiError, dispositionFileName, onUnauthorised, setCsrfToken, type DownloadedFile } from './http';
export * from './resources';
export * from './session';
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
  ...policiesApi,
};

import type { NativeRouter } from '../../http/native.js';
import type { DashboardService } from './dashboard.service.js';

export function registerDashboardConsoleRoutes(
  router: NativeRouter,
  deps: { dashboard: DashboardService },
): void {
  router.add({
    method: 'GET',
    url: '/api/v1/dashboard',
    summary:
      'What needs attention: password ages and expiry, certificates by expiry, retrievals per day, failed sign-ins',
    tag: 'dashboard',
    access: 'signed-in',
    async handle({ caller }) {
      return deps.dashboard.overview(caller);
    },
  });
}

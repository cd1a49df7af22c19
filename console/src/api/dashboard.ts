import { request } from './http';

export interface Dashboard {
  readonly passwords: {
    readonly accounts: number;
    readonly expired: number;
    readonly byAge: readonly { readonly label: string; readonly count: number }[];
  };
  readonly certificates: readonly {
    readonly id: number;
    readonly commonName: string;
    readonly notAfter: number;
    readonly daysLeft: number;
  }[];
  readonly retrievals: {
    readonly scope: 'everyone' | 'mine';
    readonly days: readonly { readonly day: string; readonly count: number }[];
  };
  readonly failedLogins?: {
    readonly days: number;
    readonly total: number;
    readonly recent: readonly {
      readonly at: number;
      readonly user: string;
      readonly clientIp: string;
      readonly reason: string | null;
    }[];
  };
}

export const dashboardApi = {
  dashboard(signal?: AbortSignal): Promise<Dashboard> {
    return request('GET', '/dashboard', { signal });
  },
};

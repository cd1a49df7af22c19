import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresCluster } from './postgres.js';
import { missingService } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the shared throw-away PostgreSQL cluster, or '' when it is unavailable. */
    postgresBaseUrl: string;
    postgresUnavailable: string;
  }
}

let cluster: PostgresCluster | undefined;

/** One PostgreSQL cluster for the whole run; each test file creates its own databases on it. */
export async function setup(project: TestProject): Promise<void> {
  try {
    cluster = await startPostgres();
    project.provide('postgresBaseUrl', cluster.baseUrl);
    project.provide('postgresUnavailable', '');
  } catch (err) {
    const reason = (err as Error).message;
    const failure = missingService('PostgreSQL', reason);
    if (failure) throw failure;
    project.provide('postgresBaseUrl', '');
    project.provide('postgresUnavailable', reason);
  }
}

export function teardown(): void {
  cluster?.stop();
}

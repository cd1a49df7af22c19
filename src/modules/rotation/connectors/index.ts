export * from './connector.js';
import type { ConnectorRegistry } from '../rotation.types.js';
import type { RemoteConnector, RemoteTarget } from './connector.js';
import { createMysqlConnector } from './mysql.js';
import { createPostgresConnector } from './postgresql.js';
import { createSshConnector } from './ssh.js';

export type { ConnectorRegistry };

/** A registry of the given connectors (tests and the benchmark may pass their own). */
export function createConnectorRegistry(
  connectors: Partial<Record<RemoteTarget['kind'], RemoteConnector>>,
): ConnectorRegistry {
  return {
    connectorFor(kind) {
      const connector = connectors[kind];
      if (!connector) throw new Error(`no connector for targets of kind ${kind} in this build`);
      return connector;
    },
  };
}

/** The connectors of this build: Linux over SSH, PostgreSQL, MySQL/MariaDB. */
export function defaultConnectors(): ConnectorRegistry {
  return createConnectorRegistry({
    ssh: createSshConnector(),
    postgresql: createPostgresConnector(),
    mysql: createMysqlConnector(),
  });
}

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Instance } from './server.js';

/** Every A2A operation (register's --operations). */
export const ALL_A2A_OPERATIONS = 'RETRIEVE,RESET_LOCAL,RESET_REMOTE,CREATE';

/**
 * Registers an application with `bulwark a2a register` (host 127.0.0.1, resource type Linux,
 * inheriting the administrator) and makes its client certificate with `a2a create-cert` into
 * `<dir>/<name>`: the TLS client identity (cert and key PEM) it calls the API with.
 */
export async function registerA2aApplication(
  instance: Instance,
  name: string,
  dir: string,
  operations: string = ALL_A2A_OPERATIONS,
): Promise<{ cert: string; key: string }> {
  const a2a = (...args: string[]) => instance.cli('a2a', ...args, '--data-dir', instance.dataDir);
  const registered = await a2a(
    ...['register', '--name', name, '--host', '127.0.0.1', '--resource-type', 'Linux'],
    ...['--operations', operations, '--inherit-user', 'admin'],
  );
  expect(registered.code, registered.stderr).toBe(0);
  const certDir = path.join(dir, name);
  mkdirSync(certDir, { recursive: true });
  const created = await a2a('create-cert', '--name', name, '--out', certDir);
  expect(created.code, created.stderr).toBe(0);
  return {
    cert: readFileSync(path.join(certDir, `${name}.crt`), 'utf8'),
    key: readFileSync(path.join(certDir, `${name}.key`), 'utf8'),
  };
}

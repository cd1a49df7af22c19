/**
 * Every endpoint declares its input as a schema (issue 11, ADR 023): the router validates the
 * whole input against it before the handler runs. `PmpRouteSpec.schema` is required, so a route
 * without one does not compile; this test also catches one registered around the types, and a
 * handler that reads fields from `input` itself.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { registeredRoutes, type RegisteredRoute } from '../../src/tools/docs.js';
import { REPO_ROOT } from '../helpers/server.js';

/** Every module's route files (`src/modules/<module>/*.routes.ts`). */
function routeFiles(): string[] {
  const modules = path.join(REPO_ROOT, 'src', 'modules');
  return readdirSync(modules, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(path.join(modules, d.name))
        .filter((f) => f.endsWith('.routes.ts'))
        .map((f) => path.join(modules, d.name, f)),
    );
}

const key = (r: RegisteredRoute) => `${r.method} ${r.url}`;

describe('input schemas (ADR 023)', () => {
  const routes = registeredRoutes();

  it('every route declares an input schema', () => {
    expect(routes.length).toBeGreaterThan(60);
    const missing = routes.filter((r) => !Array.isArray(r.inputFields)).map(key);
    expect(missing).toEqual([]);
  });

  it('handlers take their fields from the schema, not from the input', () => {
    const files = routeFiles();
    expect(files.length).toBeGreaterThanOrEqual(10);
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      // Destructuring `input` in a handler's parameters is how a handler reads fields itself.
      expect(source, file).not.toMatch(/async handle\(\{[^}]*\binput\b[^}]*\}\)/);
    }
  });
});

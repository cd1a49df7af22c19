import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { findPostgresBinaries, freePort } from './postgres.js';
import { missingService } from './services.js';

/**
 * A throw-away PostgreSQL cluster that plays a *target* of remote password reset. Unlike the
 * shared test cluster (trust everywhere, where "log in with the new password" would prove
 * nothing), TCP connections authenticate with scram-sha-256; the test setup itself creates roles
 * over the Unix socket (trust) in the cluster's temporary directory. As root it runs as `postgres`.
 */
export interface PostgresTarget {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** The directory of the server's Unix socket (trust): `new pg.Client({ host: socketDir, port })`. */
  readonly socketDir: string;
  /** Runs one statement as the superuser over the Unix socket; `$1` placeholders. */
  query(sql: string, values?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** Creates a login role with `password`; `createRole`: it may change other roles' passwords. */
  createRole(name: string, password: string, options?: { readonly createRole?: boolean }): Promise<void>;
  dropRole(name: string): Promise<void>;
  /** Whether `name` logs in over TCP (scram-sha-256) with `password`. */
  canLogin(name: string, password: string): Promise<boolean>;
  /** The server's log so far (every statement when started with `logStatements`). */
  logs(): string;
  stop(): void;
}

export interface PostgresTargetOptions {
  /** log_statement=all: every statement the server receives goes to its log (see logs()). */
  readonly logStatements?: boolean;
  /** shared_preload_libraries, e.g. `['passwordcheck']` (the server's own password policy). */
  readonly preload?: readonly string[];
}

export async function startPostgresTarget(options: PostgresTargetOptions = {}): Promise<PostgresTarget> {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error('initdb and pg_ctl were not found (install the postgresql package)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-pgt-'));
  let run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    run = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  }
  const data = path.join(dir, 'data');
  const log = path.join(dir, 'server.log');
  const port = await freePort();
  try {
    run(binaries.initdb, [
      '-D',
      data,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-U',
      'postgres',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    const settings = [
      `-p ${port}`,
      '-c listen_addresses=127.0.0.1',
      `-k ${dir}`,
      '-c password_encryption=scram-sha-256',
      '-c max_connections=50',
      '-c shared_buffers=16MB',
      ...(options.logStatements ? ['-c log_statement=all', '-c log_min_error_statement=info'] : []),
      ...(options.preload?.length ? [`-c shared_preload_libraries=${options.preload.join(',')}`] : []),
    ];
    run(binaries.pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', '-o', settings.join(' '), 'start']);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const query = async (sql: string, values: readonly unknown[] = []) => {
    // Over the Unix socket in `dir` (trust): the setup's own connection, not the one under test.
    const client = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      return (await client.query(sql, values as unknown[])).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
  const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

  return {
    host: '127.0.0.1',
    port,
    socketDir: dir,
    query,
    async createRole(name, password, roleOptions = {}) {
      await query(
        `CREATE ROLE ${ident(name)} LOGIN ${roleOptions.createRole ? 'CREATEROLE' : ''} PASSWORD ${literal(password)}`,
      );
    },
    async dropRole(name) {
      await query(`DROP ROLE IF EXISTS ${ident(name)}`);
    },
    async canLogin(name, password) {
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: name,
        password,
        database: 'postgres',
        connectionTimeoutMillis: 5_000,
      });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return true;
      } catch (err) {
        if ((err as { code?: string }).code === '28P01') return false;
        throw err;
      } finally {
        await client.end().catch(() => undefined);
      }
    },
    logs() {
      return existsSync(log) ? readFileSync(log, 'utf8') : '';
    },
    stop() {
      spawnSync(
        asRoot ? 'runuser' : binaries.pgCtl,
        asRoot
          ? ['-u', 'postgres', '--', binaries.pgCtl, '-D', data, '-m', 'immediate', 'stop']
          : ['-D', data, '-m', 'immediate', 'stop'],
        { stdio: 'pipe' },
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file's beforeAll: the target cluster, or undefined (tests skip with the reason
 * printed) when PostgreSQL cannot be started here; throws instead when BULWARK_REQUIRE_SERVICES=1.
 */
export async function startPostgresTargetOrSkip(
  options: PostgresTargetOptions = {},
): Promise<PostgresTarget | undefined> {
  try {
    return await startPostgresTarget(options);
  } catch (err) {
    const failure = missingService('PostgreSQL (a target cluster)', (err as Error).message);
    if (failure) throw failure;
    return undefined;
  }
}

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { freePort } from './postgres.js';
import { missingService } from './services.js';

/**
 * A throw-away MariaDB server (Debian's `mariadb-server`: `mariadb-install-db` and `mariadbd`) on
 * 127.0.0.1 and a free port, with its own data directory in a temporary directory. Its `root`
 * account logs in from 127.0.0.1 without a password (test setup only); accounts the tests use are
 * created with `createUser`. Name resolution is off (`--skip-name-resolve`): account hosts are
 * IP addresses or `%`.
 */
export interface MariaDbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Runs one statement as root (`?` placeholders, escaped by mysql2); returns the rows. */
  query(sql: string, values?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /**
   * Creates `name`@`host` (host default `%`) with `password`. `grantReset`: it may change other
   * accounts' passwords (CREATE USER on *.*) and read mysql.user (to find an account's hosts);
   * `readUsers: false` withholds the latter.
   */
  createUser(
    name: string,
    password: string,
    options?: { readonly host?: string; readonly grantReset?: boolean; readonly readUsers?: boolean },
  ): Promise<void>;
  dropUser(name: string, host?: string): Promise<void>;
  /** Whether `name` logs in over TCP with `password` (false when the server refuses it). */
  canLogin(name: string, password: string): Promise<boolean>;
  /** Installs MariaDB's simple_password_check plugin (the server's own password policy). */
  enablePasswordCheck(): Promise<void>;
  disablePasswordCheck(): Promise<void>;
  /** Everything the server wrote to its error log (and general log, when enabled) so far. */
  logs(): string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

export function findMariaDbBinaries(): { installDb: string; server: string } | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/bin', '/usr/local/bin'];
  let installDb: string | undefined;
  let server: string | undefined;
  for (const dir of dirs) {
    if (!dir) continue;
    installDb ??= existsSync(path.join(dir, 'mariadb-install-db'))
      ? path.join(dir, 'mariadb-install-db')
      : undefined;
    server ??= existsSync(path.join(dir, 'mariadbd')) ? path.join(dir, 'mariadbd') : undefined;
  }
  return installDb && server ? { installDb, server } : undefined;
}

async function waitForServer(port: number, child: ChildProcess, deadline: number): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mariadbd exited during start-up (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const connection = await mysql.createConnection({
        host: '127.0.0.1',
        port,
        user: 'root',
        connectTimeout: 2_000,
      });
      await connection.end();
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `mariadbd did not accept connections in time: ${(lastError as Error | undefined)?.message}`,
  );
}

/** Starts a fresh server; throws when the binaries are missing or it does not start. */
export async function startMariaDb(options: { readonly generalLog?: boolean } = {}): Promise<MariaDbServer> {
  const binaries = findMariaDbBinaries();
  if (!binaries) throw new Error('mariadb-install-db and mariadbd were not found (install mariadb-server)');
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-mdb-'));
  const data = path.join(dir, 'data');
  const errorLog = path.join(dir, 'error.log');
  const generalLog = path.join(dir, 'general.log');
  const asRoot = process.getuid?.() === 0;
  const userArgs = asRoot ? ['--user=root'] : [];
  let child: ChildProcess | undefined;
  try {
    execFileSync(
      binaries.installDb,
      [
        '--no-defaults',
        `--datadir=${data}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        ...userArgs,
      ],
      { stdio: 'pipe' },
    );
    const port = await freePort();
    child = spawn(
      binaries.server,
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dir, 'sock')}`,
        `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
        `--log-error=${errorLog}`,
        '--skip-log-bin',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        '--max-connections=200',
        ...(options.generalLog ? ['--general-log=1', `--general-log-file=${generalLog}`] : []),
        ...userArgs,
      ],
      { stdio: 'ignore' },
    );
    const started = child;
    child.on('error', () => undefined);
    await waitForServer(port, started, Date.now() + 60_000);

    const admin = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' });
    const query = async (sql: string, values: readonly unknown[] = []) => {
      const [rows] = await admin.query(sql, values as unknown[]);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    };
    return {
      host: '127.0.0.1',
      port,
      query,
      async createUser(name, password, userOptions = {}) {
        const host = userOptions.host ?? '%';
        await query('CREATE USER ?@? IDENTIFIED BY ?', [name, host, password]);
        if (userOptions.grantReset) {
          await query('GRANT CREATE USER ON *.* TO ?@?', [name, host]);
          if (userOptions.readUsers !== false) await query('GRANT SELECT ON mysql.user TO ?@?', [name, host]);
        }
      },
      async dropUser(name, host = '%') {
        await query('DROP USER IF EXISTS ?@?', [name, host]);
      },
      async canLogin(name, password) {
        try {
          const connection = await mysql.createConnection({
            host: '127.0.0.1',
            port,
            user: name,
            password,
            connectTimeout: 5_000,
          });
          await connection.end();
          return true;
        } catch (err) {
          if ((err as { code?: string }).code === 'ER_ACCESS_DENIED_ERROR') return false;
          throw err;
        }
      },
      async enablePasswordCheck() {
        const installed = await query(
          "SELECT 1 FROM information_schema.plugins WHERE plugin_name = 'simple_password_check'",
        );
        if (installed.length === 0) await query("INSTALL SONAME 'simple_password_check'");
      },
      async disablePasswordCheck() {
        const installed = await query(
          "SELECT 1 FROM information_schema.plugins WHERE plugin_name = 'simple_password_check'",
        );
        if (installed.length > 0) await query("UNINSTALL SONAME 'simple_password_check'");
      },
      logs() {
        let text = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
        if (existsSync(generalLog)) text += readFileSync(generalLog, 'utf8');
        return text;
      },
      async stop() {
        await admin.end().catch(() => undefined);
        await stopChild(started);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

/**
 * For a test file's beforeAll: the server, or undefined (tests skip with the reason printed) when
 * MariaDB cannot be started here; throws instead when BULWARK_REQUIRE_SERVICES=1.
 */
export async function startMariaDbOrSkip(
  options: { readonly generalLog?: boolean } = {},
): Promise<MariaDbServer | undefined> {
  try {
    return await startMariaDb(options);
  } catch (err) {
    const failure = missingService('MariaDB (mariadbd)', (err as Error).message);
    if (failure) throw failure;
    return undefined;
  }
}

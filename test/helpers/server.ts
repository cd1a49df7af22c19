import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inject } from 'vitest';
import { createDatabase } from './postgres.js';
import { missingService } from './services.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI: `npm test` builds first, so tests run the artifact users run. */
export const CLI = path.join(REPO_ROOT, 'dist', 'main.js');

export type Dialect = 'sqlite' | 'postgres';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  readonly authToken: string;
}

export interface Instance {
  readonly dialect: Dialect;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly credentials: Credentials;
  readonly env: NodeJS.ProcessEnv;
  /** Runs `bulwark <args>` against this instance; resolves with its output and exit code. */
  cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  remove(): void;
}

export interface RunningServer {
  readonly instance: Instance;
  readonly port: number;
  readonly baseUrl: string;
  readonly token: string;
  readonly process: ChildProcess;
  /** Output the server printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

export function postgresAvailable(): boolean {
  return inject('postgresBaseUrl') !== '';
}

/**
 * For a test that needs the shared PostgreSQL cluster: true when it runs; false when it does not
 * (the test skips), or a throw under BULWARK_REQUIRE_SERVICES=1 (it must not skip in CI).
 */
export function postgresOrSkip(): boolean {
  if (postgresAvailable()) return true;
  const failure = missingService('PostgreSQL', 'the shared cluster did not start');
  if (failure) throw failure;
  return false;
}

/** The dialects this run tests: SQLite always, PostgreSQL when the cluster started. */
export function dialects(): Dialect[] {
  return postgresAvailable() ? ['sqlite', 'postgres'] : ['sqlite'];
}

export interface InstanceOptions {
  /**
   * Keep the product's default password policy (Strong). Otherwise the instance gets a lenient
   * default policy, created through the CLI, so tests about other features may use short
   * passwords like 'x'; test/api/policies.test.ts covers enforcement under the real default.
   */
  readonly realDefaultPolicy?: boolean;
  /** Create the data directory under this directory instead of the system's temp directory. */
  readonly parentDir?: string;
  /** PostgreSQL: create the database on this cluster instead of the shared one. */
  readonly postgresBaseUrl?: string;
}

/** Runs `bulwark <args>` with `env`; resolves with its output and exit code, never rejects. */
export function cliRunner(env: NodeJS.ProcessEnv) {
  return async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, [CLI, ...args], {
        env,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        code: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      };
    }
  };
}

/** `bulwark init --json` into a new temporary data directory (and a new database on PostgreSQL). */
export async function createInstance(
  dialect: Dialect,
  extraEnv: NodeJS.ProcessEnv = {},
  options: InstanceOptions = {},
): Promise<Instance> {
  const dataDir = path.join(mkdtempSync(path.join(options.parentDir ?? tmpdir(), 'bulwark-test-')), 'data');
  let databaseUrl: string | undefined;
  if (dialect === 'postgres') {
    const base = options.postgresBaseUrl ?? inject('postgresBaseUrl');
    if (!base) throw new Error(`PostgreSQL is not available: ${inject('postgresUnavailable')}`);
    databaseUrl = await createDatabase(base);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, BULWARK_LOG_LEVEL: 'warn', ...extraEnv };
  delete env.BULWARK_DATABASE_URL;
  if (databaseUrl) env.BULWARK_DATABASE_URL = databaseUrl;
  const cli = cliRunner(env);
  const init = await cli('init', '--data-dir', dataDir, '--json');
  if (init.code !== 0) throw new Error(`bulwark init failed: ${init.stderr}`);
  const credentials = JSON.parse(init.stdout) as Credentials;
  if (!options.realDefaultPolicy) {
    const lenient = await cli(
      'policy',
      'create',
      '--data-dir',
      dataDir,
      '--name',
      'Test Fixtures',
      '--default',
    );
    if (lenient.code !== 0) throw new Error(`bulwark policy create failed: ${lenient.stderr}`);
  }
  return {
    dialect,
    dataDir,
    databaseUrl,
    credentials,
    env,
    cli,
    remove: () => rmSync(path.dirname(dataDir), { recursive: true, force: true }),
  };
}

/** `bulwark serve` on 127.0.0.1 and `port` (a free one by default), as a child process. */
export function serve(
  instance: Instance,
  extraEnv: NodeJS.ProcessEnv = {},
  port = 0,
): Promise<RunningServer> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--data-dir', instance.dataDir, '--host', '127.0.0.1', '--port', String(port)],
    {
      env: { ...instance.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${output}`)), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
    let listening = false;
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = listening ? null : /BULWARK_LISTENING port=(\d+)/.exec(output);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const port = Number(match[1]);
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      resolve({
        instance,
        port,
        baseUrl: `https://127.0.0.1:${port}`,
        token: instance.credentials.authToken,
        process: child,
        output: () => output,
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
  });
}

/** A new instance and a server on it, for one test file. */
export async function startServer(
  dialect: Dialect,
  extraEnv: NodeJS.ProcessEnv = {},
  options: InstanceOptions = {},
): Promise<RunningServer> {
  const instance = await createInstance(dialect, extraEnv, options);
  return serve(instance, extraEnv);
}

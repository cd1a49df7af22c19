/**
 * What the benchmarks share: a fresh instance initialised by the real CLI and served by the real
 * server in a child process on a free loopback port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = path.join(root, 'dist', 'main.js');
export const execFileAsync = promisify(execFile);

/** The environment of the bench servers: quiet logs, the embedded SQLite default. */
export function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, BULWARK_LOG_LEVEL: 'warn' };
  delete env.BULWARK_DATABASE_URL;
  return env;
}

export interface Child {
  readonly child: ChildProcess;
  readonly port: number;
}

/** Starts `node args…` and resolves once it prints `LISTENING port=N`. */
export function startChild(args: string[], env: NodeJS.ProcessEnv): Promise<Child> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /LISTENING port=(\d+)/.exec(out);
      if (m) {
        child.removeAllListeners('exit');
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

export async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** `bulwark init` into `dataDir`, then `bulwark serve` on it: the admin's token and the server. */
export async function initAndServe(
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ authToken: string; server: Child }> {
  const init = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dataDir, '--json'], { env });
  const { authToken } = JSON.parse(init.stdout) as { authToken: string };
  const server = await startChild(
    [CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'],
    env,
  );
  return { authToken, server };
}

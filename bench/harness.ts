/**
 * What the benchmarks share: a fresh instance initialised by the real CLI and served by the real
 * server in a child process on a free loopback port.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/** `bulwark serve` on an initialised `dataDir`, on a free loopback port. */
export function serve(dataDir: string, env: NodeJS.ProcessEnv): Promise<Child> {
  return startChild([CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], env);
}

/** `bulwark init` into `dataDir`, then `bulwark serve` on it: the admin's token and the server. */
export async function initAndServe(
  dataDir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ authToken: string; server: Child }> {
  const init = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dataDir, '--json'], { env });
  const { authToken } = JSON.parse(init.stdout) as { authToken: string };
  return { authToken, server: await serve(dataDir, env) };
}

/** A bare node:https server answering every request with `body` (HTTP 200), on `dataDir`'s TLS cert. */
export function startBaseline(dataDir: string, body: string, env: NodeJS.ProcessEnv): Promise<Child> {
  const script = `
    const https = require('node:https');
    const fs = require('node:fs');
    const body = ${JSON.stringify(body)};
    const server = https.createServer({ key: fs.readFileSync(${JSON.stringify(path.join(dataDir, 'tls', 'key.pem'))}), cert: fs.readFileSync(${JSON.stringify(path.join(dataDir, 'tls', 'cert.pem'))}), keepAliveTimeout: 65000 }, (req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) }); res.end(body); });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write('LISTENING port=' + server.address().port + '\\n'));
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
  `;
  return startChild(['-e', script], env);
}

/** A process's resident memory now and at its peak (VmRSS, VmHWM in /proc/PID/status), in MiB. */
export function residentMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

/** Samples VmRSS every 250 ms until stopped; stop() answers the largest sample, in MiB. */
export function sampleResidentMemory(pid: number): { stop(): number } {
  let peak = residentMemory(pid).rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, residentMemory(pid).rss);
  }, 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, residentMemory(pid).rss);
    },
  };
}

/**
 * stunnel4 in client mode on loopback, for the A2A rows: Debian's wrk cannot present a TLS client
 * certificate, so wrk speaks plain HTTP to stunnel, which opens one TLS connection to the server
 * per wrk connection. Two services: one presenting the application's certificate (A2A), one
 * presenting none (the super administrator's token through the same relay, for a fair ratio).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { freePort } from '../test/helpers/postgres.js';

export interface Stunnel {
  /** Plain HTTP in, TLS with the client certificate out. */
  readonly certPort: number;
  /** Plain HTTP in, TLS without a client certificate out. */
  readonly plainPort: number;
  stop(): Promise<void>;
}

/** The stunnel binary, or undefined when the package is not installed. */
export function findStunnel(): string | undefined {
  for (const name of ['stunnel4', 'stunnel'])
    if (!spawnSync(name, ['-version'], { stdio: 'ignore' }).error) return name;
  return undefined;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startStunnel(
  binary: string,
  dir: string,
  serverPort: number,
  serverCert: string,
  cert: string,
  key: string,
): Promise<Stunnel> {
  const certPort = await freePort();
  const plainPort = await freePort();
  const config = path.join(dir, 'stunnel.conf');
  writeFileSync(
    config,
    [
      'foreground = yes',
      'pid =',
      'debug = 3',
      // The server's own (self-signed) certificate is the only one trusted.
      `CAfile = ${serverCert}`,
      'verifyPeer = yes',
      '[a2a]',
      'client = yes',
      `accept = 127.0.0.1:${certPort}`,
      `connect = 127.0.0.1:${serverPort}`,
      `cert = ${cert}`,
      `key = ${key}`,
      '[token]',
      'client = yes',
      `accept = 127.0.0.1:${plainPort}`,
      `connect = 127.0.0.1:${serverPort}`,
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(binary, [config], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if ((await listening(certPort)) && (await listening(plainPort))) break;
    if (child.exitCode !== null) throw new Error(`stunnel exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    certPort,
    plainPort,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

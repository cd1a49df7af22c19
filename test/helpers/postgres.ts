import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * A throw-away PostgreSQL cluster from the system binaries, on 127.0.0.1 and a free port,
 * in a temporary directory. PostgreSQL refuses to run as root, so as root it runs as the
 * `postgres` user (runuser).
 */
export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:PORT/ — append a database name. */
  readonly baseUrl: string;
  /** Stops the server (fast shutdown) but keeps its data, for tests of an unreachable database. */
  halt(): void;
  /** Starts the halted server again, on the same port, with the same data. */
  resume(): void;
  stop(): void;
}

export function findPostgresBinaries(): { initdb: string; pgCtl: string } | undefined {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(':')) candidates.push(dir);
  if (existsSync('/usr/lib/postgresql')) {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  }
  for (const dir of candidates) {
    const initdb = path.join(dir, 'initdb');
    const pgCtl = path.join(dir, 'pg_ctl');
    if (existsSync(initdb) && existsSync(pgCtl)) return { initdb, pgCtl };
  }
  return undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresCluster> {
  const binaries = findPostgresBinaries();
  if (!binaries) throw new Error('initdb and pg_ctl were not found (install the postgresql package)');
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), 'bulwark-pg-'));
  let run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: 'pipe' });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    run = (cmd, args) => execFileSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { stdio: 'pipe' });
  }
  const data = path.join(dir, 'data');
  run(binaries.initdb, [
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'postgres',
    '-E',
    'UTF8',
    '--no-locale',
    '--no-sync',
  ]);
  const port = await freePort();
  const start = () =>
    run(binaries.pgCtl, [
      '-D',
      data,
      '-l',
      path.join(dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=200 -c shared_buffers=64MB`,
      'start',
    ]);
  start();
  const baseUrl = `postgres://postgres@127.0.0.1:${port}/`;
  return {
    baseUrl,
    halt() {
      run(binaries.pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
    },
    resume() {
      start();
    },
    stop() {
      spawnSync(
        asRoot ? 'runuser' : binaries.pgCtl,
        asRoot
          ? ['-u', 'postgres', '--', binaries.pgCtl, '-D', data, '-m', 'immediate', 'stop']
          : ['-D', data, '-m', 'immediate', 'stop'],
        {
          stdio: 'pipe',
        },
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh, empty database on the cluster; returns its URL. */
export async function createDatabase(baseUrl: string, prefix = 'bulwark_test'): Promise<string> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: `${baseUrl}postgres` });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  return `${baseUrl}${name}`;
}

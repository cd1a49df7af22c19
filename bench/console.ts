/**
 * Console benchmark: the resource list the web console pages through, over BENCH_RESOURCES
 * resources (10,000 by default) on the embedded SQLite default, driven by wrk (Debian's package)
 * so the load generator does not share the server's event loop. The baseline, in the same run
 * with the same load, is GET /api/v1/session: the same cookie authentication and envelope with no
 * query. The rows are pages of 200 at the start, the middle and the end, a search and a type
 * filter (each answers its total from the same statement), as ratios of the baseline.
 *
 *   npm run bench:console
 *   BENCH_RESOURCES=50000 BENCH_SECONDS=5 npm run bench:console
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { signIn } from '../test/helpers/console-client.js';
import { benchEnv, CLI, execFileAsync, startChild, stopChild } from './harness.js';
import { parseWrkSummary, requireWrk, type WrkSummary } from './wrk.js';

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const run = promisify(execFile);

/** wrk's summary of one request repeated at CONNECTIONS connections. */
async function wrk(url: string, cookie: string): Promise<WrkSummary> {
  const { stdout } = await run('wrk', [
    '-t2',
    `-c${CONNECTIONS}`,
    `-d${SECONDS}s`,
    '--latency',
    '-H',
    `Cookie: ${cookie}`,
    url,
  ]);
  return parseWrkSummary(stdout);
}

async function main(): Promise<void> {
  requireWrk();
  const work = mkdtempSync(path.join(tmpdir(), 'bulwark-bench-console-'));
  const dataDir = path.join(work, 'data');
  const env = benchEnv();
  let server: Awaited<ReturnType<typeof startChild>> | undefined;
  try {
    const init = await execFileAsync(process.execPath, [CLI, 'init', '--data-dir', dataDir, '--json'], {
      env,
    });
    const { password } = JSON.parse(init.stdout) as { password: string };
    // Seeded into the stopped instance: resources as the list reads them.
    const db = new Database(path.join(dataDir, 'bulwark.db'));
    const now = Date.now();
    const insert = db.prepare(
      `insert into resources (name, name_key, resource_type, dns_name, description, owner_id, created_at, modified_at)
       values (?, ?, ?, ?, ?, 1, ?, ?)`,
    );
    db.transaction(() => {
      for (let i = 0; i < RESOURCES; i++) {
        const name = `srv-${String(i).padStart(6, '0')}`;
        insert.run(name, name, i % 4 === 0 ? 'Windows' : 'Linux', `${name}.corp.example`, 'bench', now, now);
      }
    })();
    db.close();
    server = await startChild(
      [CLI, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'],
      env,
    );
    const base = `https://127.0.0.1:${server.port}`;
    const { client } = await signIn(base, 'admin', password);
    const cookie = `__Host-bulwark-session=${client.cookie}`;

    const rows: [string, string][] = [
      ['baseline: GET /api/v1/session', '/api/v1/session'],
      ['first page (200)', '/api/v1/resources?limit=200'],
      ['middle page (200)', `/api/v1/resources?limit=200&offset=${Math.floor(RESOURCES / 2)}`],
      ['last page (200)', `/api/v1/resources?limit=200&offset=${RESOURCES - 200}`],
      ['search (10 found)', `/api/v1/resources?search=srv-00099`],
      ['type filter (a quarter)', '/api/v1/resources?type=Windows&limit=200'],
    ];
    console.log(
      `${RESOURCES} resources, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, SQLite; ratios are of the baseline's req/s`,
    );
    console.log('| request | req/s | p50 ms | p99 ms | ratio |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    let baseline = 0;
    for (const [name, url] of rows) {
      const r = await wrk(`${base}${url}`, cookie);
      if (r.errors > 0) throw new Error(`${name}: ${r.errors} answers were not 2xx`);
      if (baseline === 0) baseline = r.rps;
      console.log(
        `| ${name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / baseline).toFixed(3)} |`,
      );
    }
  } finally {
    if (server) await stopChild(server.child);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();

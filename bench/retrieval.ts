/**
 * Retrieval benchmark (issue 16): GET .../password over HTTPS keep-alive, every retrieval audited,
 * on each store (embedded SQLite; PostgreSQL on a throw-away local cluster), driven by wrk
 * (Debian's package) with bench/wrk/retrieval.lua: 32 connections on 2 threads, request paths
 * from a file (random accounts in a fixed order, the same for every row), and every answer that
 * is not HTTP 200 with "status":"Success" counted; one such answer fails the bench.
 *
 * Per store: BENCH_ACCOUNTS accounts seeded through the API (resources of 1,000, bulk ACCOUNTLIST,
 * 4 requests in flight; seed time and accounts/s printed), the server restarted on the seeded
 * vault (start to LISTENING timed), then these rows, BENCH_SECONDS each after a 2 s warm-up:
 *   - the super administrator (the resources' owner) with its token: the closed-loop maximum;
 *   - a Password User reaching every resource through a view share;
 *   - an A2A application presenting its client certificate (ADR 014). wrk cannot present one, so
 *     it speaks plain HTTP to stunnel4 in client mode on loopback, which does; the super
 *     administrator's token row is repeated through the same stunnel so that ratio is fair;
 *   - fixed arrival rates of 50 % and 80 % of the maximum (Debian has no wrk2): the Lua script
 *     schedules send slots with delay() and measures how late each send was against its slot;
 *     wrk's latency starts at the actual send, so a closed loop (and a late send) hides queueing
 *     delay: the lateness p99 beside the latency p99 shows whether that matters. Timers are whole
 *     milliseconds, so sends may leave up to 1 ms early and lateness under ~1 ms is timer noise;
 *   - the baseline: a bare node:https server on the same certificate answering a body of the same
 *     size (a real answer's) with "status":"Success", same script, same run.
 * Resident memory: the largest VmRSS sampled (every 250 ms) while under load, and VmHWM.
 *
 *   npm run bench                                  # both stores, 100,000 accounts, 10 s a row
 *   BENCH_STORES=sqlite BENCH_ACCOUNTS=1000000 npm run bench
 *   BENCH_ACCOUNTS=20000 BENCH_SECONDS=5 BENCH_WRITE_DOCS=0 npm run bench
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { createDatabase, findPostgresBinaries, startPostgres } from '../test/helpers/postgres.js';
import {
  benchEnv,
  CLI,
  execFileAsync,
  initAndServe,
  residentMemory,
  sampleResidentMemory,
  serve,
  startBaseline,
  stopChild,
} from './harness.js';
import { settingsLine, tables, writeDocs, type StoreResult } from './report.js';
import { pmpClient, requestOrder, seed, sharedUser } from './seed.js';
import { findStunnel, startStunnel } from './stunnel.js';
import { requireWrk, runRetrieval, type RetrievalOptions, type RetrievalRun } from './wrk.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;
const THREADS = 2;
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const WRITE_DOCS = process.env.BENCH_WRITE_DOCS !== '0';

type Load = Omit<RetrievalOptions, 'url' | 'pathsFile' | 'seconds' | 'connections' | 'threads'>;

function show(name: string, r: RetrievalRun): void {
  const late = Number.isNaN(r.lateP99) ? '' : `   send lateness p99 ${r.lateP99.toFixed(2)} ms`;
  console.log(
    `  ${name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms${late}`,
  );
}

async function benchStore(store: StoreResult['store'], work: string): Promise<StoreResult> {
  const env = benchEnv();
  const cluster = store === 'PostgreSQL' ? await startPostgres() : undefined;
  // pg_ctl daemonises the cluster out of the terminal's process group: an interrupted bench
  // stops it here, or it would outlive the bench.
  const interrupted = () => {
    cluster?.stop();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    if (cluster) env.BULWARK_DATABASE_URL = await createDatabase(cluster.baseUrl, 'bulwark_bench');
    const dataDir = path.join(work, 'data');
    const first = await initAndServe(dataDir, env);
    const token = first.authToken;
    console.log(`${store}: seeding ${ACCOUNTS.toLocaleString('en-US')} accounts through the API…`);
    const api = pmpClient(first.server.port, token);
    const seeded = await seed(api, ACCOUNTS);
    console.log(
      `  seeded ${seeded.paths.length} accounts in ${seeded.seconds.toFixed(1)} s (${(seeded.paths.length / seeded.seconds).toFixed(0)} accounts/s)`,
    );
    const userToken = await sharedUser(api, seeded.resourceIds);
    await api.close();
    await stopChild(first.server.child);

    const a2a = (...args: string[]) =>
      execFileAsync(process.execPath, [CLI, 'a2a', ...args, '--data-dir', dataDir], { env });
    // prettier-ignore
    await a2a('register', '--name', 'Bench', '--host', '127.0.0.1', '--resource-type', 'Linux',
      '--operations', 'RETRIEVE', '--inherit-user', 'admin');
    await a2a('create-cert', '--name', 'Bench', '--out', path.join(work, 'a2a'));

    const startedAt = performance.now();
    const server = await serve(dataDir, env);
    const startSeconds = (performance.now() - startedAt) / 1000;
    console.log(`  restarted on the seeded vault: LISTENING after ${startSeconds.toFixed(2)} s`);

    const order = requestOrder(seeded.paths);
    const pathsFile = path.join(work, 'paths.txt');
    writeFileSync(pathsFile, order.join('\n') + '\n');
    const reader = pmpClient(server.port, token);
    const sampleBody = await reader.raw(order[0]!);
    await reader.close();

    const pid = server.child.pid!;
    const memory = sampleResidentMemory(pid);
    const measure = async (name: string, url: string, load: Load): Promise<RetrievalRun> => {
      const o = { url, pathsFile, connections: CONNECTIONS, threads: THREADS, ...load };
      await runRetrieval({ ...o, seconds: 2 });
      const r = await runRetrieval({ ...o, seconds: SECONDS });
      show(name, r);
      return r;
    };
    const url = `https://127.0.0.1:${server.port}`;
    const admin = await measure('super admin (owner), token', url, { token });
    const shared = await measure('Password User through a share', url, { token: userToken });
    const fixed: { share: number; run: RetrievalRun }[] = [];
    for (const share of [0.5, 0.8]) {
      const run = await measure(`fixed rate, ${share * 100} % of max`, url, {
        token,
        rate: share * admin.rps,
      });
      fixed.push({ share, run });
    }
    let a2aRows: StoreResult['a2a'];
    const stunnelBinary = findStunnel();
    if (stunnelBinary) {
      const dir = path.join(work, 'a2a');
      const tunnel = await startStunnel(
        stunnelBinary,
        dir,
        server.port,
        path.join(dataDir, 'tls', 'cert.pem'),
        path.join(dir, 'Bench.crt'),
        path.join(dir, 'Bench.key'),
      );
      try {
        const viaToken = await measure(
          'super admin token, through stunnel',
          `http://127.0.0.1:${tunnel.plainPort}`,
          {
            token,
          },
        );
        const viaCert = await measure(
          'A2A client certificate, through stunnel',
          `http://127.0.0.1:${tunnel.certPort}`,
          {},
        );
        a2aRows = { token: viaToken, cert: viaCert };
      } finally {
        await tunnel.stop();
      }
    } else console.log('  A2A rows skipped: stunnel4 is not installed (apt-get install -y stunnel4)');
    const rssUnderLoad = memory.stop();
    const { hwm } = residentMemory(pid);
    console.log(`  resident memory under load ${rssUnderLoad.toFixed(0)} MiB, VmHWM ${hwm.toFixed(0)} MiB`);
    await stopChild(server.child);

    const baseline = await startBaseline(dataDir, sampleBody, env);
    const bare = await measure('bare node:https (baseline)', `https://127.0.0.1:${baseline.port}`, { token });
    await stopChild(baseline.child);
    return {
      store,
      accounts: seeded.paths.length,
      seedSeconds: seeded.seconds,
      startSeconds,
      rssUnderLoad,
      hwm,
      admin,
      bare,
      shared,
      ...(a2aRows ? { a2a: a2aRows } : {}),
      fixed,
    };
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    cluster?.stop();
  }
}

async function main(): Promise<void> {
  requireWrk();
  const startLoad = loadavg()[0]!;
  const results: StoreResult[] = [];
  for (const name of STORES) {
    const store = name === 'sqlite' ? 'SQLite' : name === 'postgres' ? 'PostgreSQL' : undefined;
    if (!store) throw new Error(`BENCH_STORES: unknown store ${name} (sqlite, postgres)`);
    if (store === 'PostgreSQL' && !findPostgresBinaries()) {
      console.log('PostgreSQL skipped: initdb and pg_ctl not found (apt-get install -y postgresql)');
      continue;
    }
    const work = mkdtempSync(path.join(tmpdir(), 'bulwark-bench-'));
    try {
      mkdirSync(path.join(work, 'a2a'));
      results.push(await benchStore(store, work));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  const settings = settingsLine({ seconds: SECONDS, connections: CONNECTIONS, threads: THREADS, startLoad });
  const block = `${tables(results)}\n\n${settings}`;
  console.log(`\n${block}\n`);
  if (WRITE_DOCS) {
    writeDocs(block);
    console.log('written to docs/performance.md (BENCH_WRITE_DOCS=0 leaves it alone)');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

/**
 * Retrieval benchmark: password retrieval over HTTPS keep-alive at 32 concurrent connections,
 * from a vault of 100,000 accounts on the embedded SQLite default, every retrieval audited.
 * The baseline, measured in the same run with the same load generator, is a bare node:https
 * server answering a JSON body of the same size. The figure that matters is the ratio. Two more
 * Bulwark rows retrieve the same passwords as a Password User reaching them through resource
 * shares, and as an A2A application (client certificate, no token; ADR 014), each compared
 * with the super administrator's token row.
 *
 *   npm run bench                       # defaults below
 *   BENCH_ACCOUNTS=20000 BENCH_SECONDS=5 npm run bench
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { benchEnv, CLI, execFileAsync, initAndServe, startChild, stopChild } from './harness.js';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ACCOUNTS_PER_RESOURCE = 1000;

interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

/** Closed-loop load: CONNECTIONS workers, each sending its next request when the last answered. */
async function load(
  port: number,
  pathFor: (i: number) => string,
  headers: Record<string, string>,
  seconds: number,
  clientCertificate?: { cert: string; key: string },
): Promise<LoadResult> {
  const pool = new Pool(`https://127.0.0.1:${port}`, {
    connections: CONNECTIONS,
    pipelining: 1,
    connect: { rejectUnauthorized: false, ...clientCertificate },
  });
  const latencies: number[] = [];
  let errors = 0;
  let counter = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ method: 'GET', path: pathFor(counter++), headers });
        const text = await res.body.text();
        if (res.statusCode !== 200 || !text.includes('"status":"Success"')) errors++;
        else latencies.push(performance.now() - t0);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? NaN;
  return { requests: latencies.length, errors, seconds: elapsed, p50: pct(50), p99: pct(99) };
}

async function pmp(
  port: number,
  token: string,
  method: string,
  urlPath: string,
  input: unknown,
): Promise<any> {
  const pool = new Pool(`https://127.0.0.1:${port}`, { connect: { rejectUnauthorized: false } });
  try {
    const res = await pool.request({
      method: method,
      path: urlPath,
      headers: { AUTHTOKEN: token, 'content-type': 'text/json' },
      body: `INPUT_DATA=${encodeURIComponent(JSON.stringify(input))}`,
    });
    const answer = JSON.parse(await res.body.text());
    if (answer.operation.result.status !== 'Success')
      throw new Error(`${urlPath}: ${answer.operation.result.message}`);
    return answer.operation;
  } finally {
    await pool.close();
  }
}

function printRow(name: string, r: LoadResult): void {
  const rps = r.requests / r.seconds;
  console.log(
    `${name.padEnd(34)} ${rps.toFixed(0).padStart(8)} req/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(6)} ms   errors ${r.errors}`,
  );
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bulwark-bench-'));
  const dataDir = path.join(work, 'data');
  const env = benchEnv();
  try {
    const { authToken, server } = await initAndServe(dataDir, env);

    console.log(`seeding ${ACCOUNTS} accounts…`);
    const seedStart = performance.now();
    const targets: string[] = [];
    const resources = Math.ceil(ACCOUNTS / ACCOUNTS_PER_RESOURCE);
    for (let r = 0; r < resources; r++) {
      const created = await pmp(server.port, authToken, 'POST', '/restapi/json/v1/resources', {
        operation: {
          Details: {
            RESOURCENAME: `bench-${r}`,
            RESOURCETYPE: 'Linux',
            ACCOUNTNAME: 'acct-0',
            PASSWORD: `pw-${r}-n0-Xy9!`,
          },
        },
      });
      const resourceId = created.Details.RESOURCEID as string;
      targets.push(`/restapi/json/v1/resources/${resourceId}/accounts/${created.Details.ACCOUNTID}/password`);
      const count = Math.min(ACCOUNTS_PER_RESOURCE, ACCOUNTS - r * ACCOUNTS_PER_RESOURCE) - 1;
      if (count <= 0) continue;
      const list = Array.from({ length: count }, (_, i) => ({
        ACCOUNTNAME: `acct-${i + 1}`,
        PASSWORD: `pw-${r}-n${i + 1}-Xy9!`,
      }));
      const added = await pmp(
        server.port,
        authToken,
        'POST',
        `/restapi/json/v1/resources/${resourceId}/accounts`,
        {
          operation: { Details: { ACCOUNTLIST: list } },
        },
      );
      for (const [, outcome] of Object.entries(added.Details[0] as Record<string, { ACCOUNTID: string }>)) {
        targets.push(`/restapi/json/v1/resources/${resourceId}/accounts/${outcome.ACCOUNTID}/password`);
      }
      if (r % 10 === 9) process.stdout.write(`  ${targets.length} accounts\n`);
    }
    console.log(
      `seeded ${targets.length} accounts in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
    );

    // Random accounts, fixed sequence: both runs see the same access pattern.
    let seed = 42;
    const order = Array.from({ length: 1 << 16 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return targets[seed % targets.length]!;
    });
    const pick = (i: number) => order[i & 0xffff]!;
    const headers = { AUTHTOKEN: authToken };

    const sample = new Pool(`https://127.0.0.1:${server.port}`, { connect: { rejectUnauthorized: false } });
    const sampleBody = await (await sample.request({ method: 'GET', path: pick(0), headers })).body.text();
    await sample.close();

    await load(server.port, pick, headers, 2); // warm-up
    const bulwark = await load(server.port, pick, headers, SECONDS);

    // The same retrievals by a Password User who reaches every resource through a share (most
    // real callers), rather than the super administrator who needs no grant lookup.
    const user = await pmp(server.port, authToken, 'POST', '/restapi/json/v1/user', {
      operation: { Details: { USERNAME: 'bench-user', ROLE: 'Password User', ISAPIUSER: 'true' } },
    });
    for (const resourceId of new Set(targets.map((t) => t.split('/')[5]!))) {
      await pmp(server.port, authToken, 'PUT', `/restapi/json/v1/resources/${resourceId}/share`, {
        operation: { Details: { USERID: user.Details.USERID, ACCESSTYPE: 'view' } },
      });
    }
    const userHeaders = { AUTHTOKEN: user.Details.AUTHTOKEN as string };
    await load(server.port, pick, userHeaders, 2);
    const shared = await load(server.port, pick, userHeaders, SECONDS);

    // The same retrievals by an application with its client certificate, inheriting admin.
    const certDir = path.join(work, 'a2a');
    const a2a = (...args: string[]) =>
      execFileAsync(process.execPath, [CLI, 'a2a', ...args, '--data-dir', dataDir], { env });
    await a2a(
      'register',
      '--name',
      'Bench',
      '--host',
      '127.0.0.1',
      '--resource-type',
      'Linux',
      '--operations',
      'RETRIEVE',
      '--inherit-user',
      'admin',
    );
    await a2a('create-cert', '--name', 'Bench', '--out', certDir);
    const clientCertificate = {
      cert: readFileSync(path.join(certDir, 'Bench.crt'), 'utf8'),
      key: readFileSync(path.join(certDir, 'Bench.key'), 'utf8'),
    };
    await load(server.port, pick, {}, 2, clientCertificate);
    const application = await load(server.port, pick, {}, SECONDS, clientCertificate);
    await stopChild(server.child);

    const baselineScript = `
      const https = require('node:https');
      const fs = require('node:fs');
      const body = ${JSON.stringify(sampleBody)};
      const server = https.createServer({ key: fs.readFileSync(${JSON.stringify(path.join(dataDir, 'tls', 'key.pem'))}), cert: fs.readFileSync(${JSON.stringify(path.join(dataDir, 'tls', 'cert.pem'))}), keepAliveTimeout: 65000 }, (req, res) => {
        req.resume();
        req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json;charset=UTF-8', 'content-length': Buffer.byteLength(body) }); res.end(body); });
      });
      server.listen(0, '127.0.0.1', () => process.stdout.write('LISTENING port=' + server.address().port + '\\n'));
      process.on('SIGTERM', () => server.close(() => process.exit(0)));
    `;
    const baseline = await startChild(['-e', baselineScript], env);
    await load(baseline.port, pick, headers, 2);
    const bare = await load(baseline.port, pick, headers, SECONDS);
    await stopChild(baseline.child);

    const auditRecords = readFileSync(path.join(dataDir, 'bulwark.db')).length;
    console.log('');
    console.log(
      `Password retrieval, ${targets.length} accounts, ${CONNECTIONS} keep-alive connections, ${SECONDS} s, ${sampleBody.length}-byte answers`,
    );
    printRow('bare node:https (baseline)', bare);
    printRow('Bulwark GET .../password (SQLite)', bulwark);
    printRow('Bulwark, user with a resource share', shared);
    printRow('Bulwark, A2A client certificate', application);
    console.log(
      `ratio (Bulwark / baseline): ${(bulwark.requests / bulwark.seconds / (bare.requests / bare.seconds)).toFixed(2)}  (target ≥ 0.5)`,
    );
    console.log(
      `ratio (shared user / super admin): ${(shared.requests / shared.seconds / (bulwark.requests / bulwark.seconds)).toFixed(2)}`,
    );
    console.log(
      `ratio (A2A / super admin token): ${(application.requests / application.seconds / (bulwark.requests / bulwark.seconds)).toFixed(2)}`,
    );
    console.log(`every retrieval audited; database file ${(auditRecords / 1024 / 1024).toFixed(0)} MiB`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

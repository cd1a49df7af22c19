/**
 * Resource-group benchmark: GET /resources for a user who reaches BENCH_RESOURCES resources
 * (10,000 by default) only through a shared dynamic group (criteria evaluated live in SQL), on
 * the embedded SQLite default. The baseline, measured in the same run, is the same listing by the
 * super administrator (no access query at all). Prints both and the ratio.
 *
 *   npm run bench:groups
 *   BENCH_RESOURCES=2000 npm run bench:groups
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Pool } from 'undici';
import { benchEnv, initAndServe, stopChild, type Child } from './harness.js';

const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 10_000);
/** Resources that do not match the group's criteria, so the match is really evaluated. */
const OTHERS = Number(process.env.BENCH_OTHERS ?? 1_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const PARALLEL = 4;

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'bulwark-bench-groups-'));
  const dataDir = path.join(work, 'data');
  let server: Child | undefined;
  try {
    const started = await initAndServe(dataDir, benchEnv());
    server = started.server;
    const authToken = started.authToken;
    const pool = new Pool(`https://127.0.0.1:${server.port}`, {
      connections: PARALLEL,
      connect: { rejectUnauthorized: false },
    });
    const call = async (token: string, method: string, urlPath: string, details?: unknown) => {
      const res = await pool.request({
        method,
        path: urlPath,
        headers: { AUTHTOKEN: token, 'content-type': 'text/json' },
        body:
          details === undefined
            ? undefined
            : `INPUT_DATA=${encodeURIComponent(JSON.stringify({ operation: { Details: details } }))}`,
      });
      const answer = JSON.parse(await res.body.text());
      if (answer.operation.result.status !== 'Success')
        throw new Error(`${urlPath}: ${answer.operation.result.message}`);
      return answer.operation;
    };
    const V1 = '/restapi/json/v1';

    const user = await call(authToken, 'POST', `${V1}/user`, {
      USERNAME: 'reader',
      FULLNAME: 'Group Reader',
      EMAIL: 'reader@example.test',
      POLICY: 'Strong',
      ROLE: 'Password User',
      ISSUPERADMIN: 'false',
      ISAPIUSER: 'true',
      EXPIRYDATE: 'NeverExpires',
    });
    const readerToken = user.Details.AUTHTOKEN as string;
    const readerId = (await call(authToken, 'GET', `${V1}/user/getUserId?USERNAME=reader`)).Details.USERID;

    console.log(`seeding ${RESOURCES} matching and ${OTHERS} other resources through the API…`);
    const seedStart = performance.now();
    const total = RESOURCES + OTHERS;
    let next = 0;
    const seeder = async () => {
      for (let i = next++; i < total; i = next++) {
        const matching = i < RESOURCES;
        await call(authToken, 'POST', `${V1}/resources`, {
          RESOURCENAME: matching ? `app-${i}` : `other-${i}`,
          RESOURCETYPE: 'Linux',
          DEPARTMENT: matching ? 'Operations' : 'Finance',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Zq7!mB4#xL9v',
        });
        if ((i + 1) % 2000 === 0) process.stdout.write(`  ${i + 1}\n`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, seeder));
    console.log(`seeded in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const group = await call(authToken, 'POST', `${V1}/resourcegroup`, {
      GROUPNAME: 'Operations apps',
      GROUPTYPE: 'DYNAMIC',
      andor: 'and',
      NoOfCriteria: 2,
      condition_1: 'DEPARTMENT',
      operator_1: 'EQUALS',
      valuefield_1: 'operations',
      condition_2: 'RESOURCENAME',
      operator_2: 'STARTS WITH',
      valuefield_2: 'app-',
    });
    await call(authToken, 'PUT', `${V1}/resourcegroup/share`, {
      resourceGroupIds: [group.Details.RESOURCEGROUPID],
      userIds: [readerId],
      accessType: 'view',
    });

    const time = async (token: string, expected: number) => {
      const samples: number[] = [];
      for (let run = 0; run < RUNS + 2; run++) {
        const t0 = performance.now();
        const answer = await call(token, 'GET', `${V1}/resources`);
        const ms = performance.now() - t0;
        if (answer.totalRows !== expected)
          throw new Error(`listed ${answer.totalRows}, expected ${expected}`);
        if (run >= 2) samples.push(ms); // two warm-up runs
      }
      samples.sort((a, b) => a - b);
      return { median: samples[Math.floor(samples.length / 2)]!, min: samples[0]!, max: samples.at(-1)! };
    };
    const viaGroup = await time(readerToken, RESOURCES);
    const asSuper = await time(authToken, total);
    await pool.close();

    const row = (name: string, r: { median: number; min: number; max: number }) =>
      console.log(
        `${name.padEnd(52)} median ${r.median.toFixed(0).padStart(5)} ms   min ${r.min.toFixed(0).padStart(5)} ms   max ${r.max.toFixed(0).padStart(5)} ms`,
      );
    console.log('');
    console.log(`GET /resources, ${RUNS} runs each, SQLite, ${total} resources in the vault`);
    row(`super administrator, all ${total} (baseline)`, asSuper);
    row(`user reaching ${RESOURCES} through a shared dynamic group`, viaGroup);
    console.log(`ratio (group user / baseline, median): ${(viaGroup.median / asSuper.median).toFixed(2)}`);
  } finally {
    if (server) await stopChild(server.child);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

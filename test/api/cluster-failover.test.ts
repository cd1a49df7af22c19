import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details } from '../helpers/client.js';
import { keepAliveClient } from '../helpers/keep-alive-client.js';
import { freePort, startPostgres, type PostgresCluster } from '../helpers/postgres.js';
import {
  createInstance,
  postgresOrSkip,
  serve,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';
import { missingService } from '../helpers/services.js';
import {
  blackholeListener,
  certificateFactory,
  tlsListener,
  type IssuedCert,
  type Listener,
} from '../helpers/tls-listeners.js';
import { sleep, until as waitUntil } from '../helpers/wait.js';

/**
 * Three nodes on one PostgreSQL behind a real HAProxy (issue 17; docs/operations.md): a stream of
 * retrievals and password changes through the balancer while one node is killed with SIGKILL and
 * started again, then PostgreSQL itself restarts. Figures are printed and written up in
 * docs/operations.md; asserted: no acknowledged change lost, every retrieval answered the
 * password its account had, periodic jobs never ran twice at once, the audit chain verifies, no
 * read failed, and only changes in flight when a node or the database died did.
 *
 * One-shot jobs too: SSL certificate range discoveries (ADR 037) started through the balancer
 * before node 2 is killed (node 2 runs some of them when it dies) and while it is down, each over
 * its own real TLS listener and a silent port that holds the scan for its TIMEOUT. Asserted: each
 * job ends succeeded, those node 2 held were claimed again once its lease expired, each
 * certificate is stored, placed and audited once, each job's start audited once.
 */

const V1 = '/restapi/json/v1';
const ACCOUNTS = 24;
const WORKERS = 12;
/** What each phase lasts, in ms: steady, one node down, the node back, PostgreSQL restarting and after. */
const PHASE_MS = 4000;
/** Discoveries started before the kill (two per node: each node's room for the kind) and while node 2 is down. */
const JOBS_BEFORE = 6;
const JOBS_DURING = 4;
/** Each discovery's TIMEOUT: how long its silent port holds it, so node 2 is mid-scan when killed. */
const SCAN_SECONDS = 6;
/** BULWARK_JOB_LEASE_SECONDS: how soon a dead node's job is claimed again (30 s by default). */
const JOB_LEASE_SECONDS = 6;
const DISCOVERY_JOB = 'certificates.discover-range';

/** The HAProxy configuration docs/operations.md shows, with this run's ports and files. */
function haproxyConfig(o: { port: number; pem: string; nodes: readonly number[] }): string {
  return `global
  maxconn 2000

defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  # A health check on a busy node may take longer than the 250 ms between checks, which is its
  # timeout unless this is set: two slow answers in a row would take every node out at once.
  timeout check 2s
  # A request that could not reach a node (refused connection, empty answer, a 503 from a node
  # that cannot reach the database) is sent again, to another node (redispatch), up to 3 times.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response response-timeout 503

frontend bulwark
  bind 127.0.0.1:${o.port} ssl crt ${o.pem}
  # Nodes that are ready (/readyz: database, migrations, keys, not shutting down) get the traffic.
  # When none is (the shared database is restarting), the nodes that are alive (/healthz) get it
  # and hold each request until the database is back (BULWARK_DB_OUTAGE_WAIT_SECONDS).
  use_backend bulwark_ready if { nbsrv(bulwark_ready) gt 0 }
  default_backend bulwark_alive

backend bulwark_ready
  balance roundrobin
  # Only GETs are sent again once a node got them: a change that reached a node may have happened.
  http-request disable-l7-retry if !METH_GET
  option httpchk GET /readyz
  http-check expect status 200
  default-server ssl verify none check inter 250ms fall 2 rise 2
${o.nodes.map((p, i) => `  server node${i + 1} 127.0.0.1:${p}`).join('\n')}

backend bulwark_alive
  balance roundrobin
  http-request disable-l7-retry if !METH_GET
  option httpchk GET /healthz
  http-check expect status 200
  default-server ssl verify none check inter 250ms fall 2 rise 2
${o.nodes.map((p, i) => `  server node${i + 1} 127.0.0.1:${p}`).join('\n')}
`;
}

/** One discovery's targets: a TLS listener serving its own certificate, and a silent port. */
interface ScanTarget {
  readonly host: string;
  readonly cert: IssuedCert;
  readonly sha256: string;
  readonly tls: Listener;
  readonly silent: Listener;
}

interface JobRow {
  id: number;
  status: string;
  attempts: number;
  lease_owner: string | null;
  last_error: string | null;
  payload: string;
  result: string | null;
  started_at: string | null;
  finished_at: string | null;
}

interface Tally {
  requests: number;
  failed: number;
  failures: Map<string, number>;
}

describe('three nodes behind HAProxy, under failure', () => {
  let cluster: PostgresCluster | undefined;
  let instance: Instance | undefined;
  const nodes: (RunningServer | undefined)[] = [];
  let ports: number[] = [];
  let haproxy: ChildProcess | undefined;
  let work: string;
  let balancer: { port: number; token: string };
  const factory = certificateFactory();
  const targets: ScanTarget[] = [];

  beforeAll(async () => {
    const which = spawnSync('haproxy', ['-v'], { stdio: 'ignore' });
    if (which.status !== 0) {
      const failure = missingService('HAProxy', 'haproxy is not installed (apt-get install -y haproxy)');
      if (failure) throw failure;
      return;
    }
    if (!postgresOrSkip()) return;
    cluster = await startPostgres();
    // Periodic jobs every second, so the run sees many and any double run would show; a short
    // job lease, so node 2's discoveries are claimed again a few seconds after it dies.
    instance = await createInstance(
      'postgres',
      { BULWARK_CERT_EXPIRY_CHECK_SECONDS: '1', BULWARK_JOB_LEASE_SECONDS: String(JOB_LEASE_SECONDS) },
      { postgresBaseUrl: cluster.baseUrl },
    );
    for (let i = 0; i < JOBS_BEFORE + JOBS_DURING; i++) {
      const host = `127.0.3.${i + 1}`;
      const cert = factory.issue({ name: `scan-${i}`, cn: `scan-${i}.failover.test`, key: 'ec256' });
      targets.push({
        host,
        cert,
        sha256: new X509Certificate(cert.der).fingerprint256,
        tls: await tlsListener(host, cert),
        silent: await blackholeListener(host),
      });
    }
    ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) nodes.push(await serve(instance, {}, port));

    work = mkdtempSync(path.join(tmpdir(), 'bulwark-haproxy-'));
    const pem = path.join(work, 'bulwark.pem');
    const tls = path.join(instance.dataDir, 'tls');
    writeFileSync(
      pem,
      // HAProxy reads the certificate and its key from one file (cert.pem has no final newline).
      `${readFileSync(path.join(tls, 'cert.pem'), 'utf8').trim()}\n${readFileSync(path.join(tls, 'key.pem'), 'utf8')}`,
      { mode: 0o600 },
    );
    const port = await freePort();
    writeFileSync(path.join(work, 'haproxy.cfg'), haproxyConfig({ port, pem, nodes: ports }));
    haproxy = spawn('haproxy', ['-db', '-f', path.join(work, 'haproxy.cfg')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let haproxyErrors = '';
    haproxy.stderr!.on('data', (chunk: Buffer) => (haproxyErrors += chunk.toString()));
    haproxy.once('exit', (code) => {
      if (code !== null && code !== 0) console.error(`haproxy exited with ${code}: ${haproxyErrors}`);
    });
    balancer = { port, token: instance.credentials.authToken };
    await until('HAProxy to route to the nodes', async () => {
      const answer = await keepAliveClient(balancer, 1)
        .request('GET', `${V1}/resources`)
        .catch(() => undefined);
      return answer?.status === 'Success' ? true : undefined;
    });
  }, 180_000);

  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    for (const node of nodes) await node?.stop();
    instance?.remove();
    cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    await Promise.all(targets.flatMap((t) => [t.tls.close(), t.silent.close()]));
    factory.cleanup();
  }, 60_000);

  it('loses no acknowledged change, keeps one audit chain, runs each job once, fails no read', async (ctx) => {
    if (!cluster || !instance) return ctx.skip();
    const client = keepAliveClient(balancer, WORKERS * 2);
    // The accounts, one resource each; worker w alone changes the accounts i with i % WORKERS = w,
    // so each account's changes are sequential and "the last acknowledged one" is well defined.
    const accounts: { path: string; acked: string; attempted: string | undefined; written: Set<string> }[] =
      [];
    for (let i = 0; i < ACCOUNTS; i++) {
      const password = `initial-${i}`;
      const created = await client.request('POST', `${V1}/resources`, {
        input: details({
          RESOURCENAME: `ha-${i}`,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: password,
        }),
      });
      expect(created.status, created.message).toBe('Success');
      accounts.push({
        path: `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`,
        acked: password,
        attempted: undefined,
        written: new Set([password]),
      });
    }

    // SSL certificate range discoveries through the balancer: one per target, each its own job.
    // A start whose answer is lost may still have queued its job: every job of the kind is
    // checked below, acknowledged or not.
    const acknowledged = new Map<number, ScanTarget>();
    const failedStarts: string[] = [];
    const startDiscovery = async (target: ScanTarget) => {
      try {
        const answer = await client.request('POST', '/api/pki/restapi/sslCertRangeDiscovery', {
          input: details({
            StartIpAddress: target.host,
            EndIpAddress: target.host,
            PORT: `${target.tls.port},${target.silent.port}`,
            TIMEOUT: String(SCAN_SECONDS),
          }),
        });
        const json = answer.json as { result?: { status?: string }; details?: { JobId?: string } };
        if (json.result?.status === 'Success' && json.details?.JobId)
          acknowledged.set(Number(json.details.JobId), target);
        else failedStarts.push(`${target.host}: HTTP ${answer.http} ${answer.text.slice(0, 120)}`);
      } catch (err) {
        failedStarts.push(`${target.host}: ${(err as Error).message.slice(0, 120)}`);
      }
    };
    for (const target of targets.slice(0, JOBS_BEFORE)) await startDiscovery(target);

    const tally: Tally = { requests: 0, failed: 0, failures: new Map() };
    const fail = (why: string) => {
      tally.failed++;
      tally.failures.set(why, (tally.failures.get(why) ?? 0) + 1);
    };
    const wrongPasswords: string[] = [];
    let running = true;
    const worker = async (w: number) => {
      let n = 0;
      while (running) {
        n++;
        const change = n % 5 === 0;
        const mine = accounts.filter((_, i) => i % WORKERS === w);
        const account = change ? mine[n % mine.length]! : accounts[(w * 7 + n) % accounts.length]!;
        tally.requests++;
        try {
          if (change) {
            const value = `w${w}-n${n}`;
            account.attempted = value;
            account.written.add(value);
            const answer = await client.request('PUT', account.path, {
              input: details({ NEWPASSWORD: value, RESETTYPE: 'LOCAL', REASON: 'failover' }),
            });
            if (answer.status === 'Success') {
              account.acked = value;
              account.attempted = undefined;
            } else fail(`change: HTTP ${answer.http} ${answer.statusCode ?? ''}`);
          } else {
            const answer = await client.request('GET', account.path);
            if (answer.status !== 'Success')
              fail(`retrieval: HTTP ${answer.http} ${answer.statusCode ?? ''}`);
            else if (!account.written.has(answer.details.PASSWORD)) wrongPasswords.push(account.path);
          }
        } catch (err) {
          fail(`${change ? 'change' : 'retrieval'}: ${(err as Error).message.slice(0, 60)}`);
        }
      }
    };

    const streams = Array.from({ length: WORKERS }, (_, w) => worker(w));
    const events: string[] = [];
    const began = Date.now();
    const mark = (what: string) =>
      events.push(
        `${what} after ${tally.requests} requests, ${tally.failed} failed (${((Date.now() - began) / 1000).toFixed(1)} s)`,
      );
    await sleep(PHASE_MS);
    // Node 2 dies mid-scan: it holds discoveries (its share of the first ones, each held by its
    // silent port for SCAN_SECONDS) when it is killed. Which ones, and under which lease owner.
    const node2 = `%:${nodes[1]!.process.pid}:%`;
    const heldByNode2 = await until('node 2 to run a discovery', async () => {
      const rows = await query<{ id: number; lease_owner: string }>(
        instance!.databaseUrl!,
        `select id, lease_owner from jobs where kind = $1 and status = 'running' and lease_owner like $2`,
        [DISCOVERY_JOB, node2],
      );
      // pg answers a bigint id as text.
      return rows.length > 0 ? rows.map((r) => ({ ...r, id: Number(r.id) })) : undefined;
    });
    mark(`node 2 killed (SIGKILL) while running discovery job(s) ${heldByNode2.map((r) => r.id).join(', ')}`);
    const killedAt = Date.now();
    await nodes[1]!.kill();
    // More discoveries while node 2 is down, once HAProxy has seen it go (fall 2 × 250 ms).
    await sleep(1000);
    for (const target of targets.slice(JOBS_BEFORE)) await startDiscovery(target);
    await sleep(Math.max(0, PHASE_MS - (Date.now() - killedAt)));
    mark('node 2 started again');
    nodes[1] = await serve(instance, {}, ports[1]);
    await sleep(PHASE_MS);
    // The discoveries settle before the database restarts: node 2's are claimed again once its
    // lease expired (BULWARK_JOB_LEASE_SECONDS after its last renewal) and scanned again.
    await until(
      'the discoveries to settle',
      async () => {
        const rows = await query<{ n: string }>(
          instance!.databaseUrl!,
          `select count(*) as n from jobs where kind = $1 and status in ('queued', 'running')`,
          [DISCOVERY_JOB],
        );
        return Number(rows[0]!.n) === 0 ? true : undefined;
      },
      120_000,
    );
    mark('discoveries settled');
    mark('PostgreSQL restarting');
    const restartedAt = Date.now();
    cluster.halt();
    cluster.resume();
    mark(`PostgreSQL back after ${Date.now() - restartedAt} ms`);
    await sleep(PHASE_MS * 2);
    running = false;
    await Promise.all(streams);
    mark('stream stopped');

    const jobs = (
      await query<JobRow>(
        instance.databaseUrl!,
        `select id, status, attempts, lease_owner, last_error, payload, result, started_at, finished_at
         from jobs where kind = $1 order by id`,
        [DISCOVERY_JOB],
      )
    ).map((j) => ({ ...j, id: Number(j.id) }));
    const reclaimed = jobs.filter((j) => heldByNode2.some((h) => h.id === j.id));
    const share = tally.failed / tally.requests;
    console.log(
      [
        `HAProxy failover run: ${tally.requests} requests, ${tally.failed} failed (${(share * 100).toFixed(3)} %)`,
        ...events.map((e) => `  ${e}`),
        ...[...tally.failures].map(([why, count]) => `  failed: ${count} × ${why}`),
        `  discoveries: ${acknowledged.size} started through the balancer (${JOBS_BEFORE} before the kill, ` +
          `${JOBS_DURING} while node 2 was down), ${failedStarts.length} start(s) failed; ${jobs.length} job(s), ` +
          `${jobs.filter((j) => j.status === 'succeeded').length} succeeded; ${reclaimed.length} held by node 2 ` +
          `when it was killed, claimed again after its lease expired (attempts ${reclaimed.map((j) => j.attempts).join(', ')}); ` +
          `${jobs.filter((j) => j.attempts > 1).length} job(s) ran more than one attempt`,
        `  discoveries, first claimed → settled, s from the stream's start: ${jobs
          .map(
            (j) =>
              `${j.id}${reclaimed.includes(j) ? '*' : ''} ${((Number(j.started_at) - began) / 1000).toFixed(1)}→${((Number(j.finished_at) - began) / 1000).toFixed(1)}`,
          )
          .join(', ')} (* node 2's, claimed again)`,
        ...failedStarts.map((why) => `  start failed: ${why}`),
      ].join('\n'),
    );

    // Every retrieval answered a password its account had.
    expect(wrongPasswords).toEqual([]);
    // No acknowledged change lost: each account holds its last acknowledged password, or a later
    // change that was sent but whose answer was lost (it may have committed).
    for (const account of accounts) {
      const answer = await client.request('GET', account.path);
      expect(answer.status, answer.message).toBe('Success');
      expect([account.acked, account.attempted]).toContain(answer.details.PASSWORD);
    }
    // One chain, intact, across three writers and the crash.
    const verify = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // Periodic jobs: never two runs of one kind at once, though three nodes poll for them.
    const db = new pg.Client({ connectionString: instance.databaseUrl });
    await db.connect();
    try {
      const { rows } = await db.query<{
        kind: string;
        started_at: string;
        finished_at: string | null;
        status: string;
      }>(
        `select kind, started_at, finished_at, status from jobs
         where started_at is not null and dedupe_key like 'every:%' order by kind, started_at`,
      );
      expect(rows.length).toBeGreaterThan(5);
      for (let i = 1; i < rows.length; i++) {
        const [before, after] = [rows[i - 1]!, rows[i]!];
        if (before.kind !== after.kind || before.finished_at === null) continue;
        expect(Number(after.started_at), `${after.kind} ran twice at once`).toBeGreaterThanOrEqual(
          Number(before.finished_at),
        );
      }
    } finally {
      await db.end();
    }
    // One-shot jobs: every discovery queued through the balancer, acknowledged or not, ran to
    // success; node 2's were claimed again by another node once its lease expired.
    expect(failedStarts).toEqual([]);
    expect(jobs.map((j) => j.id).sort((a, b) => a - b)).toEqual(
      [...acknowledged.keys()].sort((a, b) => a - b),
    );
    for (const job of jobs) expect(job.status, `job ${job.id}: ${job.last_error}`).toBe('succeeded');
    expect(heldByNode2.length).toBeGreaterThan(0);
    for (const job of reclaimed) {
      expect(job.attempts, `job ${job.id}`).toBeGreaterThan(1);
      expect(job.lease_owner).not.toBe(heldByNode2.find((h) => h.id === job.id)!.lease_owner);
    }
    // Its effect, complete and once: the job's report found its certificate and timed out on the
    // silent port; the certificate stored once, its place once, audited once; the start once.
    for (const job of jobs) {
      const target = acknowledged.get(job.id)!;
      const { host, tls, silent } = target;
      expect((JSON.parse(job.payload) as { start: string }).start).toBe(host);
      const result = JSON.parse(job.result!) as {
        total: number;
        found: number;
        details: Record<string, string[]>;
      };
      expect(result).toMatchObject({ total: 2, found: 1 });
      expect(result.details[`${host}:${tls.port}`]?.[0]).toBe('SUCCESS');
      expect(result.details[`${host}:${silent.port}`]?.[0]).toBe('FAILURE');
      const counts = await query<{ certs: string; places: string; discovered: string; started: string }>(
        instance.databaseUrl!,
        `select
           (select count(*) from certificates where sha256 = $1) as certs,
           (select count(*) from certificate_locations l join certificates c on c.id = l.certificate_id
             where c.sha256 = $1 and l.host = $2 and l.port = $3) as places,
           (select count(*) from audit_records where operation = 'Certificate Discovered'
             and strpos(reason, $4) > 0) as discovered,
           (select count(*) from audit_records where operation = 'Certificate Discovery Started'
             and strpos(reason, $5) > 0) as started`,
        [target.sha256, host, tls.port, `found at ${host}:${tls.port}`, `job ${job.id};`],
      );
      expect(
        counts.map((c) => Object.values(c).map(Number)),
        `job ${job.id} (${host})`,
      ).toEqual([[1, 1, 1, 1]]);
    }
    // No read failed: HAProxy sends a GET again to another node, and a node holds it while the
    // database restarts. What may fail is a change in flight on the node killed, or under a
    // statement when PostgreSQL closed its connections: it may have committed, so nobody sends it
    // again (ADR 048). At most one per worker and incident.
    const failedReads = [...tally.failures].filter(([why]) => why.startsWith('retrieval')).map(([, n]) => n);
    expect(failedReads, JSON.stringify([...tally.failures])).toEqual([]);
    expect(tally.failed).toBeLessThanOrEqual(2 * WORKERS);
    client.close();
  }, 300_000);
});

/** One query on a connection of its own (the test's connections must not outlive a restart). */
async function query<R extends object>(url: string, text: string, values: unknown[] = []): Promise<R[]> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return (await db.query<R>(text, values)).rows;
  } finally {
    await db.end();
  }
}

const until = <T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000) =>
  waitUntil(what, probe, ms);

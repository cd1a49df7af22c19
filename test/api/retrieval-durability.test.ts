import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiUser } from '../helpers/actors.js';
import { PMP_CONTENT_TYPE } from '../helpers/expect-pmp.js';
import {
  keepAliveClient,
  succeeded,
  type StreamAnswer,
  type StreamClient,
} from '../helpers/keep-alive-client.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { sleep } from '../helpers/wait.js';

/**
 * Issue 16, "what must not change", proved under load on the real server:
 *
 * 1. Every retrieval's audit record is durable (committed, in the hash chain) before the password
 *    leaves the server: 16 keep-alive workers stream GET PASSWORD, each request with a REASON of
 *    its own, the server gets SIGKILL mid-stream, and after a restart every retrieval whose full
 *    Success answer with the right password arrived has exactly one "Password Retrieved" record
 *    for its account and reason; the chain verifies. Three cycles on one instance.
 * 2. A failure to write the record refuses the retrieval (fail closed): mid-stream a trigger
 *    makes every insert into audit_records fail; no request sent while it is in place is
 *    answered with a password, each gets a PMP Failed envelope, and every Success answer of the
 *    whole stream has its record (every Failed one has none). Once the trigger is gone, all
 *    retrievals succeed again and the chain verifies.
 * 3. A revocation (a share, an API token) takes effect at once on every node: workers stream
 *    retrievals on node B while node A revokes; no request sent after A's answer arrived is
 *    answered with a password. Two servers on one PostgreSQL database; SQLite is a single node
 *    (one process per data directory, ADR 013), so there both roles are the same server.
 * 4. PostgreSQL: two nodes append their access records at once (the one-statement append of
 *    ADR 045, which retries when another appender moved the chain head) while password changes
 *    append inside their own transactions: every answer has exactly one record, the chain verifies.
 *
 * Assertions are about outcomes, never about timing; each phase needs a minimum of answered
 * requests, so a run that proves nothing fails.
 */

const V1 = '/restapi/json/v1';
const WORKERS = 16;
const CYCLES = 3;
/** Answered retrievals needed before each kill. */
const MIN_ANSWERED_PER_CYCLE = 500;
/** Requests that must be answered in each phase of the fail-closed and revocation tests. */
const MIN_PER_PHASE = 100;

type Answer = StreamAnswer;
type Client = StreamClient;

/** PMP calls over one keep-alive agent with a socket per worker. */
const client = (server: RunningServer, token = server.token): Client =>
  keepAliveClient(server, WORKERS, token);

const details = (fields: Record<string, unknown>) => ({ operation: { Details: fields } });
const unique = () => randomBytes(4).toString('hex');

interface Account {
  readonly resourceId: string;
  readonly accountId: string;
  readonly password: string;
}

/** `resources` resources of `perResource` accounts each, with distinct passwords (bulk ACCOUNTLIST add). */
async function seed(
  api: Client,
  tag: string,
  resources: number,
  perResource: number,
): Promise<{ accounts: Account[]; resourceIds: string[] }> {
  const accounts: Account[] = [];
  const resourceIds: string[] = [];
  for (let r = 0; r < resources; r++) {
    const first = `Pw+${tag}&%=é-${unique()}`;
    const created = await api.request('POST', `${V1}/resources`, {
      input: details({
        RESOURCENAME: `${tag}-r${r}-${unique()}`,
        RESOURCETYPE: 'Linux',
        ACCOUNTNAME: 'root',
        PASSWORD: first,
      }),
    });
    expect(succeeded(created), created.text).toBe(true);
    const resourceId = String(created.details.RESOURCEID);
    resourceIds.push(resourceId);
    accounts.push({ resourceId, accountId: String(created.details.ACCOUNTID), password: first });
    const list = Array.from({ length: perResource - 1 }, (_, i) => ({
      ACCOUNTNAME: `svc${i}`,
      PASSWORD: `Pw+${tag}&%=é-${i}-${unique()}`,
    }));
    const added = await api.request('POST', `${V1}/resources/${resourceId}/accounts`, {
      input: details({ ACCOUNTLIST: list }),
    });
    expect(succeeded(added), added.text).toBe(true);
    for (const entry of list) {
      const outcome = added.details?.[0]?.[entry.ACCOUNTNAME];
      expect(outcome?.STATUS, JSON.stringify(outcome)).toBe('Account added successfully');
      accounts.push({ resourceId, accountId: String(outcome.ACCOUNTID), password: entry.PASSWORD });
    }
  }
  return { accounts, resourceIds };
}

/** GET PASSWORD with the reason in INPUT_DATA on the query string, as GET clients send it. */
const passwordPath = (account: Account, reason: string) =>
  `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password?INPUT_DATA=${encodeURIComponent(
    JSON.stringify(details({ REASON: reason })),
  )}`;

/** The retrieval records the tests' reasons name, by reason. */
async function retrievalRecords(
  instance: Instance,
  prefix: string,
): Promise<Map<string, { operation: string; accountId: string; resourceId: string }[]>> {
  const rows = await sqlOn(
    instance,
    'select reason, operation, account_id, resource_id from audit_records where reason like $1',
    [`${prefix}%`],
  );
  const byReason = new Map<string, { operation: string; accountId: string; resourceId: string }[]>();
  for (const row of rows) {
    const reason = String(row.reason);
    const list = byReason.get(reason) ?? [];
    list.push({
      operation: String(row.operation),
      accountId: String(row.account_id),
      resourceId: String(row.resource_id),
    });
    byReason.set(reason, list);
  }
  return byReason;
}

async function expectChainIntact(instance: Instance): Promise<void> {
  const verified = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
  expect(verified.stdout).toMatch(/^Audit trail intact: \d+ records verified\./);
}

/** A retrieval as sent: `sentAt` orders it against other events of the test (a counter, not a clock). */
interface Retrieval {
  readonly reason: string;
  readonly account: Account;
  readonly sentAt: number;
  /** When the answer (or the error) arrived, on the same counter. */
  answeredAt?: number;
  answer?: Answer;
  error?: string;
}

/**
 * The order of events in this process: each request takes the next number just before it is
 * handed to the socket, each observed event (an answer arrived) the next one when it is seen. A
 * request numbered above an event's number was sent after that event.
 */
let clock = 0;
const tick = () => ++clock;

describe.each(dialects())('retrievals, their audit records and revocations on %s', (dialect) => {
  const instances: Instance[] = [];
  const servers: RunningServer[] = [];

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.stop();
    for (const i of instances.splice(0)) i.remove();
  });

  it(
    'every answered retrieval has its durable audit record across repeated kill -9',
    // About 20 s (SQLite) and 35 s (PostgreSQL) on an idle machine; room for a loaded CI runner.
    { timeout: 180_000 },
    async () => {
      const instance = await createInstance(dialect);
      instances.push(instance);
      let server = await serve(instance);
      servers.push(server);
      const seeding = client(server);
      const { accounts } = await seed(seeding, 'kill', 20, 15);
      seeding.close();
      expect(accounts.length).toBe(300);

      const prefix = `rk-${unique()}-`;
      const answered: Retrieval[] = [];
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const running = server;
        const api = client(running);
        let killing = false;
        let inFlight = 0;
        let unanswered = 0;
        const cycleAnswered: Retrieval[] = [];
        const problems: string[] = [];

        const loops = Array.from({ length: WORKERS }, async (_, w) => {
          for (let n = 0; !killing; n++) {
            const account = accounts[Math.floor(Math.random() * accounts.length)]!;
            const retrieval: Retrieval = {
              reason: `${prefix}c${cycle}-w${w}-${n}`,
              account,
              sentAt: tick(),
            };
            inFlight++;
            try {
              const answer = await api.request('GET', passwordPath(account, retrieval.reason));
              if (succeeded(answer) && answer.details?.PASSWORD === account.password) {
                cycleAnswered.push(retrieval);
              } else {
                problems.push(`${retrieval.reason}: HTTP ${answer.http} ${answer.text.slice(0, 200)}`);
              }
            } catch (err) {
              if (killing) unanswered++;
              else problems.push(`${retrieval.reason}: ${(err as Error).message}`);
            } finally {
              inFlight--;
            }
          }
        });

        // SIGKILL after a random delay, once enough retrievals were answered (never vacuous).
        await sleep(200 + Math.floor(Math.random() * 600));
        const deadline = Date.now() + 30_000;
        while (cycleAnswered.length < MIN_ANSWERED_PER_CYCLE && Date.now() < deadline) await sleep(10);
        const answeredBeforeKill = cycleAnswered.length;
        const inFlightAtKill = inFlight;
        killing = true;
        await running.kill();
        await Promise.all(loops);
        api.close();
        servers.splice(servers.indexOf(running), 1);
        console.info(
          `${dialect} cycle ${cycle}: SIGKILL after ${answeredBeforeKill} answered retrievals; ` +
            `${inFlightAtKill} in flight, ${unanswered} unanswered`,
        );

        expect(problems, 'every retrieval before the kill is answered with its password').toEqual([]);
        expect(answeredBeforeKill).toBeGreaterThanOrEqual(MIN_ANSWERED_PER_CYCLE);
        expect(inFlightAtKill, 'the kill lands while retrievals are in flight').toBeGreaterThan(0);
        answered.push(...cycleAnswered);

        // The crashed state's chain, before a server touches it again.
        await expectChainIntact(instance);
        server = await serve(instance);
        servers.push(server);

        // Every password that left the server has its record: this cycle's and the earlier ones'.
        const records = await retrievalRecords(instance, prefix);
        const missing: string[] = [];
        for (const r of answered) {
          const found = records.get(r.reason) ?? [];
          const ok =
            found.length === 1 &&
            found[0]!.operation === 'Password Retrieved' &&
            found[0]!.accountId === r.account.accountId &&
            found[0]!.resourceId === r.account.resourceId;
          if (!ok) missing.push(`${r.reason} (account ${r.account.accountId}): ${JSON.stringify(found)}`);
        }
        // In-flight requests may or may not have a record, never more than one.
        const duplicated = [...records].filter(([, found]) => found.length !== 1).map(([reason]) => reason);
        console.info(
          `${dialect} cycle ${cycle}: ${answered.length} answered retrievals checked, ` +
            `${records.size - answered.length} records of unanswered ones`,
        );
        expect(missing.slice(0, 20), `${missing.length} answered retrievals without their record`).toEqual(
          [],
        );
        expect(duplicated).toEqual([]);
      }
    },
  );

  it(
    'fails closed under load: while audit records cannot be written, no password is answered',
    { timeout: 120_000 },
    async () => {
      const instance = await createInstance(dialect);
      instances.push(instance);
      const server = await serve(instance);
      servers.push(server);
      const api = client(server);
      const { accounts } = await seed(api, 'closed', 4, 25);

      const prefix = `fc-${unique()}-`;
      const sent: Retrieval[] = [];
      let stopping = false;
      const loops = Array.from({ length: WORKERS }, async (_, w) => {
        for (let n = 0; !stopping; n++) {
          const account = accounts[Math.floor(Math.random() * accounts.length)]!;
          const retrieval: Retrieval = { reason: `${prefix}w${w}-${n}`, account, sentAt: tick() };
          sent.push(retrieval);
          try {
            retrieval.answer = await api.request('GET', passwordPath(account, retrieval.reason));
          } catch (err) {
            retrieval.error = (err as Error).message;
          }
          retrieval.answeredAt = tick();
        }
      });
      const answeredAfter = (at: number, ok: boolean) =>
        sent.filter((r) => r.sentAt > at && r.answer !== undefined && succeeded(r.answer) === ok).length;
      const waitFor = async (what: string, done: () => boolean) => {
        const deadline = Date.now() + 30_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await sleep(10);
        }
      };

      // The audit table refuses every insert, as a failing disk or database would. PostgreSQL:
      // with the disk_full SQLSTATE, so the answer is the storage fault; SQLite: RAISE(ABORT), an
      // error the server cannot classify (an internal error). Installed through another connection.
      const install =
        dialect === 'sqlite'
          ? [
              `create trigger test_refuse_audit before insert on audit_records begin select raise(abort, 'audit write refused by the test'); end`,
            ]
          : [
              `create function test_refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit write refused by the test' using errcode = '53100'; end $$`,
              `create trigger test_refuse_audit before insert on audit_records for each row execute function test_refuse_audit()`,
            ];
      const remove =
        dialect === 'sqlite'
          ? ['drop trigger test_refuse_audit']
          : ['drop trigger test_refuse_audit on audit_records', 'drop function test_refuse_audit()'];
      const expectedFault =
        dialect === 'sqlite' ? { http: 500, statusCode: 50000 } : { http: 507, statusCode: 50701 };

      /** When the trigger was in place, when its removal began, when it was gone (on the counter). */
      const at = { broken: Infinity, repairing: -Infinity, repaired: Infinity };
      try {
        await waitFor('retrievals before the fault', () => answeredAfter(0, true) >= MIN_PER_PHASE);
        for (const statement of install) await sqlOn(instance, statement, []);
        at.broken = tick();
        await waitFor(
          'retrievals while the trigger is in place',
          () => answeredAfter(at.broken, false) + answeredAfter(at.broken, true) >= MIN_PER_PHASE,
        );
        at.repairing = tick();
        for (const statement of remove) await sqlOn(instance, statement, []);
        at.repaired = tick();
        await waitFor('retrievals after the repair', () => answeredAfter(at.repaired, true) >= MIN_PER_PHASE);
      } finally {
        stopping = true;
        await Promise.all(loops);
        api.close();
      }

      const problems: string[] = [];
      let successes = 0;
      let refusals = 0;
      /** Requests that ran entirely while the trigger was in place. */
      let whileBroken = 0;
      for (const r of sent) {
        const a = r.answer;
        if (r.sentAt > at.broken && r.answeredAt! < at.repairing) whileBroken++;
        if (a === undefined) {
          problems.push(`${r.reason}: no answer (${r.error})`);
          continue;
        }
        if (a.text.includes(r.account.password)) {
          if (!succeeded(a) || a.details?.PASSWORD !== r.account.password)
            problems.push(`${r.reason}: the password in a non-Success answer: ${a.text.slice(0, 200)}`);
          // Sent once the trigger was in place and answered before its removal began: the whole
          // request ran while no record could be written.
          else if (r.sentAt > at.broken && r.answeredAt! < at.repairing)
            problems.push(`${r.reason}: a password answered while audit records could not be written`);
          successes++;
          continue;
        }
        // Refused: the PMP envelope of the fault, from the operation asked, nothing else.
        refusals++;
        if (
          a.http !== expectedFault.http ||
          a.contentType !== PMP_CONTENT_TYPE ||
          a.name !== 'GET PASSWORD' ||
          a.status !== 'Failed' ||
          a.statusCode !== expectedFault.statusCode ||
          a.details !== undefined
        )
          problems.push(`${r.reason}: refused with HTTP ${a.http} ${a.text.slice(0, 300)}`);
        if (r.sentAt > at.repaired) problems.push(`${r.reason}: refused after the repair`);
      }
      console.info(
        `${dialect}: ${sent.length} retrievals under a failing audit write: ${successes} answered, ` +
          `${refusals} refused (${whileBroken} sent and answered while the trigger was in place)`,
      );
      // Every password that left has exactly its record; no refused retrieval left one.
      const records = await retrievalRecords(instance, prefix);
      expect(problems.slice(0, 20), `${problems.length} problems`).toEqual([]);
      expect(whileBroken).toBeGreaterThanOrEqual(MIN_PER_PHASE);
      expect(server.process.exitCode).toBeNull();

      const audit: string[] = [];
      for (const r of sent) {
        const found = records.get(r.reason) ?? [];
        if (succeeded(r.answer!)) {
          if (
            found.length !== 1 ||
            found[0]!.operation !== 'Password Retrieved' ||
            found[0]!.accountId !== r.account.accountId
          )
            audit.push(`answered ${r.reason}: ${JSON.stringify(found)}`);
        } else if (found.length !== 0) audit.push(`refused ${r.reason}: ${JSON.stringify(found)}`);
      }
      expect(audit.slice(0, 20), `${audit.length} retrievals whose records do not match`).toEqual([]);
      await server.stop();
      servers.splice(servers.indexOf(server), 1);
      await expectChainIntact(instance);
    },
  );

  it(
    'a revoked share or token refuses the very next retrievals on every node, under load',
    { timeout: 120_000 },
    async () => {
      // Refused tokens are answered without the throttle's delay, so the stream keeps its pace.
      const env = { BULWARK_AUTH_FAILURE_DELAY_MS: '0' };
      const instance = await createInstance(dialect, env);
      instances.push(instance);
      const nodeA = await serve(instance, env);
      servers.push(nodeA);
      // Two servers on one PostgreSQL database; SQLite serves one process per data directory.
      const nodeB = dialect === 'postgres' ? await serve(instance, env) : nodeA;
      if (nodeB !== nodeA) servers.push(nodeB);
      const onA = client(nodeA);
      const onB = client(nodeB);
      const { accounts, resourceIds } = await seed(onA, 'revoke', 2, 10);

      interface Scenario {
        readonly name: string;
        /** Grants the user access to the accounts the workers retrieve; answers the user's token. */
        setup(): Promise<{ token: string; targets: Account[]; revoke: () => Promise<Answer> }>;
        /** How a retrieval sent after the revocation must be refused. */
        readonly refusal: RegExp;
      }
      const share = (resourceId: string, userId: string, access: string) =>
        onA.request('PUT', `${V1}/resources/${resourceId}/share`, {
          input: details({ ACCESSTYPE: access, USERID: userId }),
        });
      const scenarios: Scenario[] = [
        {
          name: 'a resource share revoked',
          refusal: /not accessible/,
          async setup() {
            const user = await createApiUser(nodeA, `reader-${unique()}`, 'Password User');
            const granted = await share(resourceIds[0]!, user.id, 'view');
            expect(succeeded(granted), granted.text).toBe(true);
            return {
              token: user.token,
              targets: accounts.filter((a) => a.resourceId === resourceIds[0]),
              revoke: () => share(resourceIds[0]!, user.id, 'revoke'),
            };
          },
        },
        {
          name: 'an API token replaced (the old one revoked)',
          // After BULWARK_AUTH_FAILURE_LIMIT refusals the old token is locked out: refused as well.
          refusal: /not associated to any user|Too many failed authentication attempts/,
          async setup() {
            const user = await createApiUser(nodeA, `token-${unique()}`, 'Password User');
            const granted = await share(resourceIds[1]!, user.id, 'view');
            expect(succeeded(granted), granted.text).toBe(true);
            return {
              token: user.token,
              targets: accounts.filter((a) => a.resourceId === resourceIds[1]),
              revoke: () => onA.request('PUT', `${V1}/user/regenerateAuthtoken`, { token: user.token }),
            };
          },
        },
      ];

      for (const scenario of scenarios) {
        const { token, targets, revoke } = await scenario.setup();
        const prefix = `rv-${unique()}-`;
        const sent: Retrieval[] = [];
        let stopping = false;
        const loops = Array.from({ length: WORKERS }, async (_, w) => {
          for (let n = 0; !stopping; n++) {
            const account = targets[Math.floor(Math.random() * targets.length)]!;
            const retrieval: Retrieval = { reason: `${prefix}w${w}-${n}`, account, sentAt: tick() };
            sent.push(retrieval);
            try {
              retrieval.answer = await onB.request('GET', passwordPath(account, retrieval.reason), { token });
            } catch (err) {
              retrieval.error = (err as Error).message;
            }
          }
        });
        const answered = (after: number) => sent.filter((r) => r.sentAt > after && r.answer).length;
        const at = { revoked: Infinity };
        try {
          const deadline = Date.now() + 30_000;
          while (sent.filter((r) => r.answer && succeeded(r.answer)).length < MIN_PER_PHASE) {
            if (Date.now() > deadline) throw new Error(`${scenario.name}: too few retrievals before`);
            await sleep(10);
          }
          const revoked = await revoke();
          at.revoked = tick();
          expect(succeeded(revoked), revoked.text).toBe(true);
          while (answered(at.revoked) < MIN_PER_PHASE) {
            if (Date.now() > deadline + 30_000) throw new Error(`${scenario.name}: too few retrievals after`);
            await sleep(10);
          }
        } finally {
          stopping = true;
          await Promise.all(loops);
        }

        const problems: string[] = [];
        let before = 0;
        let after = 0;
        for (const r of sent) {
          const a = r.answer;
          if (a === undefined) {
            problems.push(`${r.reason}: no answer (${r.error})`);
            continue;
          }
          if (succeeded(a)) {
            if (a.details?.PASSWORD !== r.account.password) problems.push(`${r.reason}: wrong password`);
            if (r.sentAt > at.revoked) problems.push(`${r.reason}: answered after the revocation`);
            else before++;
            continue;
          }
          if (r.sentAt > at.revoked) after++;
          if (a.http !== 200 || a.status !== 'Failed' || !scenario.refusal.test(a.message ?? ''))
            problems.push(`${r.reason}: refused with HTTP ${a.http} ${a.text.slice(0, 200)}`);
          if (a.text.includes(r.account.password)) problems.push(`${r.reason}: refused, with the password`);
        }
        console.info(
          `${dialect}, ${scenario.name}${nodeA === nodeB ? '' : ' on node A, retrieved on node B'}: ` +
            `${before} answered before, ${after} refused after`,
        );
        expect(problems.slice(0, 20), `${scenario.name}: ${problems.length} problems`).toEqual([]);
        expect(before).toBeGreaterThanOrEqual(MIN_PER_PHASE);
        expect(after).toBeGreaterThanOrEqual(MIN_PER_PHASE);
      }
      onA.close();
      onB.close();
    },
  );

  it.runIf(dialect === 'postgres')(
    'two nodes appending access records at once, beside changes, keep one chain with a record per answer',
    { timeout: 120_000 },
    async () => {
      // Each node appends its retrieval records with a statement that moves the chain head only
      // if no one else moved it (ADR 045): two nodes streaming at once, and password changes
      // appending inside their own transactions, make the losers retry on the head they read.
      const instance = await createInstance(dialect);
      instances.push(instance);
      const nodeA = await serve(instance);
      servers.push(nodeA);
      const nodeB = await serve(instance);
      servers.push(nodeB);
      const onA = client(nodeA);
      const onB = client(nodeB);
      const { accounts } = await seed(onA, 'both', 4, 10);
      const readOnly = accounts.slice(0, 30);
      const changed = accounts.slice(30);
      const prefix = `rb-${unique()}-`;
      const answered: string[] = [];
      const problems: string[] = [];
      let changes = 0;
      let stop = false;
      const reader = async (api: Client, node: string, w: number) => {
        for (let i = 0; !stop; i++) {
          const account = readOnly[(w * 7 + i) % readOnly.length]!;
          const reason = `${prefix}${node}-${w}-${i}`;
          const a = await api.request('GET', passwordPath(account, reason));
          if (succeeded(a) && a.details?.PASSWORD === account.password) answered.push(reason);
          else problems.push(`${reason}: HTTP ${a.http} ${a.text.slice(0, 200)}`);
        }
      };
      const changer = async (api: Client, account: Account) => {
        for (let i = 0; !stop; i++) {
          const a = await api.request(
            'PUT',
            `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
            { input: details({ NEWPASSWORD: `Changed+${i}-${unique()}`, RESETTYPE: 'LOCAL', REASON: 'rb' }) },
          );
          if (succeeded(a)) changes++;
          else problems.push(`change: HTTP ${a.http} ${a.text.slice(0, 200)}`);
        }
      };
      const workers = [
        ...Array.from({ length: 6 }, (_, w) => reader(onA, 'a', w)),
        ...Array.from({ length: 6 }, (_, w) => reader(onB, 'b', w)),
        changer(onA, changed[0]!),
        changer(onB, changed[1]!),
      ];
      while (answered.length < 1500 && problems.length === 0) await sleep(100);
      stop = true;
      await Promise.all(workers);
      onA.close();
      onB.close();
      expect(problems.slice(0, 10)).toEqual([]);
      expect(changes).toBeGreaterThan(0);
      const records = await retrievalRecords(instance, prefix);
      const missing = answered.filter((reason) => records.get(reason)?.length !== 1);
      expect(missing.slice(0, 10), `${missing.length} answers without exactly one record`).toEqual([]);
      expect([...records.keys()].filter((reason) => !answered.includes(reason))).toEqual([]);
      expect(new Set(answered.map((r) => r.split('-')[2])).size).toBe(2);
      await expectChainIntact(instance);
    },
  );
});

import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  keepAliveClient,
  succeeded,
  type StreamAnswer,
  type StreamClient,
} from '../helpers/keep-alive-client.js';
import { createInstance, dialects, serve, type Instance, type RunningServer } from '../helpers/server.js';
import { sleep } from '../helpers/wait.js';

/**
 * "Acknowledged writes survive kill -9 of the server."
 *
 * Several workers stream writes (password changes, resource creations, ADD ACCOUNTS) over
 * keep-alive connections; after a random delay the server gets SIGKILL while they are still
 * writing. A write counts as acknowledged once its whole answer, with "status":"Success", was
 * received. After a restart on the same data directory / database every acknowledged write
 * must be there, every password must be the last acknowledged value (or the one unacknowledged
 * value that was in flight after it), and the audit hash chain must verify and hold a record for
 * every acknowledged change. The cycle runs several times on the same instance.
 *
 * Each account (and each resource) is written by one worker only, one request at a time, so
 * "the last acknowledged value" is well defined: with two concurrent changes to one account the
 * order in which the answers arrive need not be the order in which the commits happened.
 */

const V1 = '/restapi/json/v1';
const WORKERS = 8;
const CYCLES = 3;
/** Below this many acknowledged writes before a kill, a cycle would prove little. */
const MIN_ACKED_PER_CYCLE = 100;
const MIN_ACKED_PER_KIND = 5;

type Answer = StreamAnswer;
type Client = StreamClient;

/** PMP calls over one keep-alive agent with a socket per worker. */
const client = (server: RunningServer): Client => keepAliveClient(server, WORKERS);

const acknowledged = succeeded;

const details = (fields: Record<string, unknown>) => ({ operation: { Details: fields } });
const unique = () => randomBytes(4).toString('hex');
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
/** Unique per request, with characters that must survive url-encoding and sealing. */
const newPassword = (tag: string) => `Pw+${tag}&%=é-${unique()}`;

interface AccountModel {
  readonly resourceName: string;
  readonly accountName: string;
  readonly resourceId: string;
  readonly accountId: string;
  /** The value the account must hold: the last acknowledged one (or the one found after a restart). */
  acked: string;
  /** Values sent after `acked` whose answer never arrived: each may or may not have been applied. */
  unacked: string[];
  ackedChanges: number;
  /** Changes known to be committed (acknowledged, or unacknowledged but found applied). */
  committedChanges: number;
  /** Unacknowledged changes whose outcome could not be told apart (none expected). */
  uncertainChanges: number;
}

interface ResourceModel {
  readonly name: string;
  readonly id: string;
  readonly accountNames: string[];
}

interface WorkerState {
  readonly index: number;
  readonly resources: ResourceModel[];
  readonly accounts: AccountModel[];
}

interface CycleStats {
  ackedChanges: number;
  ackedCreates: number;
  ackedAccountAdds: number;
  inFlightAtKill: number;
  unackedAfterKill: number;
  /** Socket errors before the kill: the server failed a request while healthy. */
  errorsBeforeKill: string[];
  /** Answers that were not a success (none expected: names are unique, inputs valid). */
  failures: string[];
}

describe.each(dialects())('acknowledged writes survive kill -9 on %s', (dialect) => {
  let instance: Instance | undefined;
  let server: RunningServer | undefined;

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  });

  it(
    'keeps every acknowledged write and a valid audit trail across repeated SIGKILLs',
    { timeout: 120_000 },
    async () => {
      instance = await createInstance(dialect);
      server = await serve(instance);

      const workers: WorkerState[] = Array.from({ length: WORKERS }, (_, index) => ({
        index,
        resources: [],
        accounts: [],
      }));
      const allResources: ResourceModel[] = [];
      const allAccounts: AccountModel[] = [];
      /** Resource creations and account additions whose answer never arrived. */
      const unackedResources: { name: string; accountName: string }[] = [];
      const unackedAccounts: { resourceName: string; accountName: string }[] = [];

      const addResource = (worker: WorkerState, resource: ResourceModel) => {
        worker.resources.push(resource);
        allResources.push(resource);
      };
      const addAccount = (worker: WorkerState, account: AccountModel) => {
        worker.accounts.push(account);
        allAccounts.push(account);
      };
      const newAccountModel = (
        resource: { name: string; id: string },
        accountName: string,
        accountId: string,
        password: string,
      ): AccountModel => ({
        resourceName: resource.name,
        accountName,
        resourceId: resource.id,
        accountId,
        acked: password,
        unacked: [],
        ackedChanges: 0,
        committedChanges: 0,
        uncertainChanges: 0,
      });

      // ---- seed: two resources per worker, each with two accounts -----------------------
      {
        const api = client(server);
        try {
          for (const worker of workers) {
            for (let r = 0; r < 2; r++) {
              const name = `seed-w${worker.index}-r${r}-${unique()}`;
              const password = newPassword('seed');
              const created = await api.request('POST', `${V1}/resources`, {
                input: details({
                  RESOURCENAME: name,
                  RESOURCETYPE: 'Linux',
                  ACCOUNTNAME: 'root',
                  PASSWORD: password,
                }),
              });
              expect(acknowledged(created), created.text).toBe(true);
              const resource: ResourceModel = {
                name,
                id: created.details.RESOURCEID,
                accountNames: ['root'],
              };
              addResource(worker, resource);
              addAccount(worker, newAccountModel(resource, 'root', created.details.ACCOUNTID, password));
              const second = newPassword('seed');
              const added = await api.request('POST', `${V1}/resources/${resource.id}/accounts`, {
                input: details({ ACCOUNTLIST: [{ ACCOUNTNAME: 'svc', PASSWORD: second }] }),
              });
              expect(acknowledged(added), added.text).toBe(true);
              const outcome = added.details[0].svc;
              expect(outcome.STATUS).toBe('Account added successfully');
              resource.accountNames.push('svc');
              addAccount(worker, newAccountModel(resource, 'svc', outcome.ACCOUNTID, second));
            }
          }
        } finally {
          api.close();
        }
      }

      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const running = server;
        const api = client(running);
        const stats: CycleStats = {
          ackedChanges: 0,
          ackedCreates: 0,
          ackedAccountAdds: 0,
          inFlightAtKill: 0,
          unackedAfterKill: 0,
          errorsBeforeKill: [],
          failures: [],
        };
        let killing = false;
        let inFlight = 0;
        const acked = () => stats.ackedChanges + stats.ackedCreates + stats.ackedAccountAdds;

        /** Sends one write; undefined when no answer arrived (unacknowledged). */
        const send = async (method: string, path: string, input: unknown): Promise<Answer | undefined> => {
          inFlight++;
          try {
            const answer = await api.request(method, path, { input });
            if (!acknowledged(answer)) {
              stats.failures.push(`${method} ${path}: HTTP ${answer.http} ${answer.text.slice(0, 300)}`);
            }
            return answer;
          } catch (err) {
            if (killing) stats.unackedAfterKill++;
            else stats.errorsBeforeKill.push(`${method} ${path}: ${(err as Error).message}`);
            return undefined;
          } finally {
            inFlight--;
          }
        };

        let counter = 0;
        const changePassword = async (worker: WorkerState) => {
          const account = pick(worker.accounts);
          const value = newPassword(`c${cycle}w${worker.index}`);
          const answer = await send(
            'PUT',
            `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
            details({ NEWPASSWORD: value, RESETTYPE: 'LOCAL', REASON: 'durability test' }),
          );
          if (answer === undefined) {
            account.unacked.push(value);
          } else if (acknowledged(answer)) {
            account.acked = value;
            account.unacked = [];
            account.ackedChanges++;
            account.committedChanges++;
            stats.ackedChanges++;
          }
        };
        const createResource = async (worker: WorkerState) => {
          const name = `dur-c${cycle}-w${worker.index}-r${counter++}-${unique()}`;
          const password = newPassword('new');
          const answer = await send(
            'POST',
            `${V1}/resources`,
            details({ RESOURCENAME: name, RESOURCETYPE: 'Linux', ACCOUNTNAME: 'admin', PASSWORD: password }),
          );
          if (answer === undefined) {
            unackedResources.push({ name, accountName: 'admin' });
          } else if (acknowledged(answer)) {
            const resource: ResourceModel = { name, id: answer.details.RESOURCEID, accountNames: ['admin'] };
            addResource(worker, resource);
            addAccount(worker, newAccountModel(resource, 'admin', answer.details.ACCOUNTID, password));
            stats.ackedCreates++;
          }
        };
        const addAccounts = async (worker: WorkerState) => {
          const resource = pick(worker.resources);
          const entries = Array.from({ length: 1 + Math.floor(Math.random() * 2) }, (_, i) => ({
            ACCOUNTNAME: `acct-c${cycle}-${counter++}-${i}`,
            PASSWORD: newPassword('add'),
          }));
          const answer = await send(
            'POST',
            `${V1}/resources/${resource.id}/accounts`,
            details({ ACCOUNTLIST: entries }),
          );
          if (answer === undefined) {
            for (const e of entries)
              unackedAccounts.push({ resourceName: resource.name, accountName: e.ACCOUNTNAME });
          } else if (acknowledged(answer)) {
            for (const e of entries) {
              const outcome = answer.details?.[0]?.[e.ACCOUNTNAME];
              if (outcome?.STATUS !== 'Account added successfully') {
                stats.failures.push(`ADD ACCOUNTS ${e.ACCOUNTNAME}: ${JSON.stringify(outcome)}`);
                continue;
              }
              resource.accountNames.push(e.ACCOUNTNAME);
              addAccount(worker, newAccountModel(resource, e.ACCOUNTNAME, outcome.ACCOUNTID, e.PASSWORD));
              stats.ackedAccountAdds++;
            }
          }
        };

        const loops = workers.map(async (worker) => {
          while (!killing) {
            const roll = Math.random();
            if (roll < 0.6) await changePassword(worker);
            else if (roll < 0.8) await createResource(worker);
            else await addAccounts(worker);
          }
        });

        // ---- kill -9 while the workers are writing ------------------------------------
        const startedAt = Date.now();
        const delay = 300 + Math.floor(Math.random() * 600);
        await sleep(delay);
        // On a slow machine, keep writing until the cycle proves something (never vacuous).
        const deadline = Date.now() + 20_000;
        while (acked() < MIN_ACKED_PER_CYCLE && Date.now() < deadline) await sleep(25);
        const ackedBeforeKill = acked();
        const elapsed = Date.now() - startedAt;
        stats.inFlightAtKill = inFlight;
        killing = true;
        await running.kill();
        await Promise.all(loops);
        api.close();

        const summary =
          `${dialect} cycle ${cycle}: kill after ${elapsed} ms (drawn ${delay} ms); acknowledged ${ackedBeforeKill} ` +
          `(password changes ${stats.ackedChanges}, resources ${stats.ackedCreates}, accounts added ` +
          `${stats.ackedAccountAdds}); in flight at kill ${stats.inFlightAtKill}, unacknowledged ` +
          `${stats.unackedAfterKill}; errors before kill ${stats.errorsBeforeKill.length}; failed answers ` +
          `${stats.failures.length}`;
        console.info(summary);

        expect(stats.failures, 'every write answered before the kill succeeds').toEqual([]);
        expect(stats.errorsBeforeKill, 'no request fails while the server is up').toEqual([]);
        expect(ackedBeforeKill).toBeGreaterThanOrEqual(MIN_ACKED_PER_CYCLE);
        expect(stats.ackedChanges).toBeGreaterThanOrEqual(MIN_ACKED_PER_KIND);
        expect(stats.ackedCreates).toBeGreaterThanOrEqual(MIN_ACKED_PER_KIND);
        expect(stats.ackedAccountAdds).toBeGreaterThanOrEqual(MIN_ACKED_PER_KIND);
        expect(stats.inFlightAtKill, 'the kill lands while writes are in flight').toBeGreaterThan(0);

        // ---- the audit chain of the crashed state, before anything else touches it ----
        const crashed = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
        expect(crashed.code, crashed.stdout + crashed.stderr).toBe(0);
        expect(crashed.stdout).toMatch(/^Audit trail intact: \d+ records verified\./);

        // ---- restart on the same data and check every acknowledged write --------------
        server = await serve(instance);
        const check = client(server);
        try {
          const problems: string[] = [];
          /** Unacknowledged writes found applied after the restart (allowed either way). */
          const landed = { changes: 0, resources: 0, accounts: 0 };
          const get = (path: string) => check.request('GET', path);
          const named = (s: string) => encodeURIComponent(s);
          const inParallel = async <T>(items: readonly T[], work: (item: T) => Promise<void>) => {
            let next = 0;
            await Promise.all(
              Array.from({ length: WORKERS }, async () => {
                while (next < items.length) await work(items[next++]!);
              }),
            );
          };

          await inParallel(allResources, async (resource) => {
            const answer = await get(`${V1}/resources/resourcename/${named(resource.name)}`);
            if (!acknowledged(answer) || answer.details?.RESOURCEID !== resource.id)
              problems.push(`resource ${resource.name} (${resource.id}) lost: ${answer.text.slice(0, 200)}`);
          });

          await inParallel(allAccounts, async (account) => {
            const ids = await get(
              `${V1}/resources/resourcename/${named(account.resourceName)}/accounts/accountname/${named(account.accountName)}`,
            );
            if (
              !acknowledged(ids) ||
              ids.details?.RESOURCEID !== account.resourceId ||
              ids.details?.ACCOUNTID !== account.accountId
            ) {
              problems.push(
                `account ${account.resourceName}/${account.accountName} (${account.accountId}) lost: ${ids.text.slice(0, 200)}`,
              );
              return;
            }
            const password = await get(
              `${V1}/resources/${account.resourceId}/accounts/${account.accountId}/password`,
            );
            const actual: unknown = password.details?.PASSWORD;
            const accepted = [account.acked, ...account.unacked];
            if (!acknowledged(password) || typeof actual !== 'string' || !accepted.includes(actual)) {
              problems.push(
                `account ${account.resourceName}/${account.accountName}: password ${JSON.stringify(actual)}, ` +
                  `expected ${accepted.map((v) => JSON.stringify(v)).join(' or ')}` +
                  (acknowledged(password) ? '' : ` (${password.text.slice(0, 200)})`),
              );
              return;
            }
            // Sequential per account: at most one value after the last acknowledged one.
            if (account.unacked.length > 0) {
              if (account.unacked.length === 1) {
                if (actual !== account.acked) {
                  account.committedChanges++;
                  landed.changes++;
                }
              } else {
                account.uncertainChanges += account.unacked.length;
              }
            }
            account.acked = actual;
            account.unacked = [];
          });

          expect(problems, 'acknowledged writes missing after kill -9').toEqual([]);

          // ---- the audit trail: intact, and a record for every acknowledged change -----
          const verified = await instance.cli('audit', 'verify', '--data-dir', instance.dataDir);
          expect(verified.code, verified.stdout + verified.stderr).toBe(0);
          expect(verified.stdout).toMatch(/^Audit trail intact: \d+ records verified\./);

          const records: any[] = [];
          for (let start = 1; ; start += 1000) {
            const page = await get(`${V1}/audit?AUDITTYPE=Resource&LIMIT=1000&STARTINDEX=${start}`);
            expect(acknowledged(page), page.text.slice(0, 300)).toBe(true);
            records.push(...page.details);
            if (page.details.length < 1000 || records.length >= (page.totalRows ?? 0)) break;
          }
          const count = new Map<string, number>();
          const bump = (key: string) => count.set(key, (count.get(key) ?? 0) + 1);
          for (const r of records) bump(`${r.OPERATIONTYPE}|${r.RESOURCENAME}|${r.ACCOUNTNAME}`);
          const countOf = (operation: string, resource: string, account = 'N/A') =>
            count.get(`${operation}|${resource}|${account}`) ?? 0;

          const auditProblems: string[] = [];
          for (const account of allAccounts) {
            const n = countOf('Password Changed', account.resourceName, account.accountName);
            if (
              n < account.ackedChanges ||
              n < account.committedChanges ||
              n > account.committedChanges + account.uncertainChanges
            ) {
              auditProblems.push(
                `${account.resourceName}/${account.accountName}: ${n} 'Password Changed' records, ` +
                  `${account.ackedChanges} acknowledged, ${account.committedChanges} committed`,
              );
            }
            const added = countOf('Account Added', account.resourceName, account.accountName);
            if (added !== 1)
              auditProblems.push(
                `${account.resourceName}/${account.accountName}: ${added} 'Account Added' records`,
              );
          }
          for (const resource of allResources) {
            const added = countOf('Resource Added', resource.name);
            if (added !== 1) auditProblems.push(`${resource.name}: ${added} 'Resource Added' records`);
          }
          // Unacknowledged creations either happened with their audit record or not at all.
          const resolvedResources = unackedResources.splice(0);
          await inParallel(resolvedResources, async (resource) => {
            const answer = await get(`${V1}/resources/resourcename/${named(resource.name)}`);
            const exists = acknowledged(answer);
            if (exists) landed.resources++;
            const records = countOf('Resource Added', resource.name);
            if (records !== (exists ? 1 : 0))
              auditProblems.push(
                `unacknowledged ${resource.name}: exists=${exists}, ${records} 'Resource Added' records`,
              );
          });
          const resolvedAccounts = unackedAccounts.splice(0);
          await inParallel(resolvedAccounts, async (account) => {
            const answer = await get(
              `${V1}/resources/resourcename/${named(account.resourceName)}/accounts/accountname/${named(account.accountName)}`,
            );
            const exists = acknowledged(answer);
            if (exists) landed.accounts++;
            const records = countOf('Account Added', account.resourceName, account.accountName);
            if (records !== (exists ? 1 : 0))
              auditProblems.push(
                `unacknowledged ${account.resourceName}/${account.accountName}: exists=${exists}, ${records} 'Account Added' records`,
              );
          });
          console.info(
            `${dialect} cycle ${cycle}: after restart ${allResources.length} resources and ` +
              `${allAccounts.length} accounts checked; unacknowledged writes found applied: ` +
              `${landed.changes} of the password changes, ${landed.resources} of ${resolvedResources.length} ` +
              `resources, ${landed.accounts} of ${resolvedAccounts.length} accounts; ${records.length} resource audit records`,
          );
          expect(auditProblems, 'audit records of acknowledged writes').toEqual([]);
        } finally {
          check.close();
        }
      }
    },
  );
});

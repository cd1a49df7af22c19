import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import {
  createInstance,
  postgresOrSkip,
  serve,
  type Instance,
  type RunningServer,
} from '../helpers/server.js';
import { sqlOn } from '../helpers/sql.js';
import { until } from '../helpers/wait.js';

/**
 * A password change whose PostgreSQL connection is cut under it (ADR 048), as a restart cuts
 * every connection: `pg_terminate_backend` on the backend serving the change while a trigger
 * holds it inside its transaction (pg_sleep, once per sequence, as sequences do not roll back).
 *
 * - Cut before the COMMIT was sent: nothing of the change can have landed, so the server runs it
 *   again and answers Success; the vault holds the new password, audited once.
 * - Cut during the COMMIT (a deferred constraint trigger runs inside it): the server cannot know
 *   whether it committed, so it does not run it again and answers 503 / 50301; here the commit
 *   did not land, and the vault holds the earlier password.
 */

const V1 = '/restapi/json/v1';

describe('a connection cut under a password change (PostgreSQL)', () => {
  let instance: Instance | undefined;
  let server: RunningServer | undefined;

  beforeAll(async () => {
    if (!postgresOrSkip()) return;
    instance = await createInstance('postgres');
    server = await serve(instance, { BULWARK_DB_OUTAGE_WAIT_SECONDS: '20' });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    instance?.remove();
  }, 60_000);

  /**
   * A fresh resource and account, a trigger on its account row that sleeps the first time it
   * fires (`trigger(name, fn)` is the CREATE statement), and the change path.
   */
  async function setUp(name: string, trigger: (triggerName: string, fn: string) => string) {
    const call = pmpClient(server!.baseUrl, server!.token);
    const created = expectSuccess(
      await call(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: name,
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'Pw-before-1',
        }),
      }),
    );
    const accountId = Number(created.details.ACCOUNTID);
    const sequence = `bw_test_${name.replace(/-/g, '_')}`;
    await sqlOn(instance!, `create sequence ${sequence}`, []);
    await sqlOn(
      instance!,
      `create function ${sequence}() returns trigger language plpgsql as $$
        begin
          if new.id = ${accountId} and nextval('${sequence}') = 1 then perform pg_sleep(60); end if;
          return new;
        end $$`,
      [],
    );
    await sqlOn(instance!, trigger(sequence, `${sequence}()`), []);
    const path = `${V1}/resources/${created.details.RESOURCEID}/accounts/${accountId}/password`;
    return { call, path, sequence, accountId };
  }

  /** Terminates the backend sleeping in the trigger, once the change is held there. */
  async function cutWhenHeld(): Promise<void> {
    const pid = await until('the change to be held in its transaction', async () => {
      const [held] = await sqlOn(
        instance!,
        `select pid from pg_stat_activity where wait_event = 'PgSleep' and datname = current_database()`,
        [],
      );
      return held?.pid;
    });
    await sqlOn(instance!, 'select pg_terminate_backend($1)', [pid]);
  }

  async function changesAudited(accountId: number): Promise<number> {
    const [row] = await sqlOn(
      instance!,
      `select count(*) as n from audit_records where operation = 'Password Changed' and account_id = $1`,
      [accountId],
    );
    return Number(row!.n);
  }

  async function sequenceValue(sequence: string): Promise<number> {
    const [row] = await sqlOn(instance!, `select last_value from ${sequence}`, []);
    return Number(row!.last_value);
  }

  it('cut before the COMMIT: run again, Success, the new password stored and audited once', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const { call, path, sequence, accountId } = await setUp(
      'cut-before-commit',
      (name, fn) => `create trigger ${name} before update on accounts for each row execute function ${fn}`,
    );
    const answer = call(path, {
      method: 'PUT',
      input: details({ NEWPASSWORD: 'Pw-after-2', RESETTYPE: 'LOCAL' }),
    });
    await cutWhenHeld();
    expectSuccess(await answer);
    expect(await sequenceValue(sequence)).toBe(2); // the trigger fired in both attempts
    expect(expectSuccess(await call(path)).details.PASSWORD).toBe('Pw-after-2');
    expect(await changesAudited(accountId)).toBe(1);
    expect(server.output()).not.toMatch(/internal error/);
  }, 90_000);

  it('cut during the COMMIT: not run again, 503 / 50301, the earlier password kept', async (ctx) => {
    if (!server) return ctx.skip('no PostgreSQL');
    const { call, path, sequence, accountId } = await setUp(
      'cut-during-commit',
      (name, fn) =>
        `create constraint trigger ${name} after update on accounts deferrable initially deferred ` +
        `for each row execute function ${fn}`,
    );
    const answer = call(path, {
      method: 'PUT',
      input: details({ NEWPASSWORD: 'Pw-after-3', RESETTYPE: 'LOCAL' }),
    });
    await cutWhenHeld();
    const refused = await answer;
    expect(refused.http.status, refused.http.text).toBe(503);
    expect(refused.statusCode).toBe(50301);
    expect(await sequenceValue(sequence)).toBe(1); // fired once: the change was not run again
    expect(expectSuccess(await call(path)).details.PASSWORD).toBe('Pw-before-1');
    expect(await changesAudited(accountId)).toBe(0);
    expect(server.output()).not.toMatch(/internal error/);
  }, 90_000);
});

/**
 * Issue 11, hole 3: text the database cannot store as given (a lone surrogate) reached the audit
 * trail, was hashed as JSON escaped it and stored as U+FFFD, so `bulwark audit verify` reported
 * TAMPERED from then on. Now the hash covers a canonical encoding of exactly what is stored (ADR
 * 017), and verification reports every broken record, not only the first.
 *
 * The HTTP layer may refuse invalid Unicode in INPUT_DATA before it reaches the audit; the chain
 * must hold without that, so the same text is also written through the services of the built
 * product (dist: the SQLite audit writer runs on a worker thread), on both databases.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { details, pmpClient } from '../helpers/client.js';
import { expectSuccess } from '../helpers/expect-pmp.js';
import { sqlOn } from '../helpers/sql.js';
import { dialects, REPO_ROOT, serve, startServer, type RunningServer } from '../helpers/server.js';

const V1 = '/restapi/json/v1';

type InstanceModule = typeof import('../../src/instance.js');
type ConfigModule = typeof import('../../src/config.js');
type AuditModule = typeof import('../../src/modules/audit/index.js');

/** The built product's modules (what the CLI runs), so the audit writer's worker is the real one. */
async function built() {
  const load = (file: string): Promise<unknown> => import(path.join(REPO_ROOT, 'dist', file));
  return {
    instance: (await load('instance.js')) as InstanceModule,
    config: (await load('config.js')) as ConfigModule,
    audit: (await load('modules/audit/index.js')) as AuditModule,
  };
}

describe.each(dialects())('audit chain on %s', (dialect) => {
  let server: RunningServer;
  let admin: ReturnType<typeof pmpClient>;
  let passwordPath: string;

  const verifyCli = () => server.instance.cli('audit', 'verify', '--data-dir', server.instance.dataDir);
  /** The instance opened in this process through the built product, for `use`, then closed. */
  const withInstance = async <T>(
    use: (opened: Awaited<ReturnType<InstanceModule['openInstance']>>) => Promise<T>,
  ) => {
    const { instance, config } = await built();
    const { systemClock } = (await import(
      path.join(REPO_ROOT, 'dist', 'platform', 'clock.js')
    )) as typeof import('../../src/platform/clock.js');
    const opened = await instance.openInstance(
      config.loadConfig(server.instance.env, { dataDir: server.instance.dataDir }),
      systemClock,
    );
    try {
      return await use(opened);
    } finally {
      await opened.close();
    }
  };

  beforeAll(async () => {
    server = await startServer(dialect);
    admin = pmpClient(server.baseUrl, server.token);
    const created = expectSuccess(
      await admin(`${V1}/resources`, {
        method: 'POST',
        input: details({
          RESOURCENAME: 'chain-victim',
          RESOURCETYPE: 'Linux',
          ACCOUNTNAME: 'root',
          PASSWORD: 'chain-secret',
        }),
      }),
    );
    passwordPath = `${V1}/resources/${created.details.RESOURCEID}/accounts/${created.details.ACCOUNTID}/password`;
  });

  afterAll(async () => {
    await server?.stop();
    server?.instance.remove();
  });

  it('a lone surrogate in REASON or RESOURCEDESCRIPTION / RESOURCENAME no longer breaks the chain (hole 3)', async () => {
    // Over HTTP, as the attack did: answered with a PMP envelope (the HTTP layer may refuse it).
    const retrieval = await admin(passwordPath, { input: details({ REASON: '\ud800' }) });
    expect(['Success', 'Failed']).toContain(retrieval.status);
    if (retrieval.status === 'Success') expect(retrieval.details.PASSWORD).toBe('chain-secret');
    const resource = await admin(`${V1}/resources`, {
      method: 'POST',
      input: details({
        RESOURCENAME: 'lone-\udc00',
        RESOURCEDESCRIPTION: 'desc \ud800',
        RESOURCETYPE: 'Linux',
        ACCOUNTNAME: 'root',
        PASSWORD: 'x-Secret-1',
      }),
    });
    expect(['Success', 'Failed']).toContain(resource.status);

    // Straight to the audit service, past any HTTP check: the access writer (a worker thread on
    // SQLite) and an append in a transaction.
    await withInstance(async ({ database, services }) => {
      const actor = { userId: 1, username: 'admin', clientIp: '127.0.0.1', client: 'REST API' };
      await services.audit.recordAccess(actor, {
        auditType: 'Resource',
        operation: 'Password Retrieved',
        resourceName: 'writer-\udc00',
        reason: 'writer \ud800',
      });
      await database.db.transaction().execute((trx) =>
        services.audit.append(trx, actor, {
          auditType: 'Resource',
          operation: 'Resource Modified',
          resourceName: 'append-\ud800',
          reason: '\udfff tail',
        }),
      );
    });
    const stored = await sqlOn(
      server.instance,
      'SELECT reason, resource_name, encoding FROM audit_records WHERE resource_name IN ($1, $2)',
      ['writer-\ufffd', 'append-\ufffd'],
    );
    expect(stored).toEqual(
      expect.arrayContaining([
        { reason: 'writer \ufffd', resource_name: 'writer-\ufffd', encoding: 2 },
        { reason: '\ufffd tail', resource_name: 'append-\ufffd', encoding: 2 },
      ]),
    );

    // Later records are written after the odd ones, and the whole chain verifies.
    expectSuccess(await admin(passwordPath, { input: details({ REASON: 'after the odd ones' }) }));
    const verified = await verifyCli();
    expect(verified.code, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^Audit trail intact: \d+ records verified\.$/m);
  });

  it('verification reports every tampered record, not only the first', async () => {
    for (let i = 0; i < 4; i++) {
      expectSuccess(await admin(passwordPath, { input: details({ REASON: `read ${i}` }) }));
    }
    await server.stop(); // a quiet database: the tampering below races with nothing
    try {
      const [newest] = await sqlOn(server.instance, 'SELECT max(seq) AS last FROM audit_records', []);
      const last = Number(newest!.last);
      const first = last - 3;
      const second = last - 1;
      const originals = await sqlOn(
        server.instance,
        'SELECT seq, reason FROM audit_records WHERE seq IN ($1, $2) ORDER BY seq',
        [first, second],
      );
      await sqlOn(server.instance, "UPDATE audit_records SET reason = 'nothing to see' WHERE seq = $1", [
        first,
      ]);
      await sqlOn(server.instance, "UPDATE audit_records SET operator_name = 'nobody' WHERE seq = $1", [
        second,
      ]);

      const cli = await verifyCli();
      expect(cli.code).not.toBe(0);
      expect(cli.stdout).toContain(`TAMPERED at record ${first}`);
      expect(cli.stdout).toContain('2 problems in');
      expect(cli.stdout).toContain(`record ${first} (altered)`);
      expect(cli.stdout).toContain(`record ${second} (altered)`);

      const { audit } = await built();
      const result = await withInstance(({ services }) => services.audit.verify());
      expect(result.ok).toBe(false);
      expect(result.problemCount).toBe(2);
      expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([
        [first, 'altered'],
        [second, 'altered'],
      ]);
      const report = audit.verificationReport(result);
      expect(report).toContain(`Audit trail TAMPERED at record ${first}:`);
      expect(report).toContain(`record ${first} (altered)`);
      expect(report).toContain(`record ${second} (altered)`);

      for (const row of originals) {
        await sqlOn(
          server.instance,
          'UPDATE audit_records SET reason = $1, operator_name = $2 WHERE seq = $3',
          [row.reason, 'admin', row.seq],
        );
      }
      const restored = await verifyCli();
      expect(restored.code, restored.stdout).toBe(0);
    } finally {
      server = await serve(server.instance);
      admin = pmpClient(server.baseUrl, server.token);
    }
  });
});

import type { Executor } from '../../platform/db/database.js';

interface DueCertificate {
  readonly id: number;
  readonly commonName: string;
  readonly serial: string;
  readonly sha256: string;
  readonly notAfter: number;
}

/** Rows of certificate_expiry_alerts and the certificates they are about; no decisions. */
export const expiryRepository = {
  /** Every certificate whose notAfter is before `before` (expired ones too), soonest first. */
  async expiringBefore(db: Executor, before: number): Promise<DueCertificate[]> {
    const rows = await db
      .selectFrom('certificates')
      .select(['id', 'common_name', 'serial', 'sha256', 'not_after'])
      .where('not_after', '<', before)
      .orderBy('not_after')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      commonName: r.common_name,
      serial: r.serial,
      sha256: r.sha256,
      notAfter: Number(r.not_after),
    }));
  },

  /** Records the pair unless it is recorded already (by this node or another): true when new. */
  async recordOnce(
    db: Executor,
    row: {
      certificateId: number;
      thresholdDays: number;
      notAfter: number;
      daysLeft: number;
      at: number;
      by: string;
    },
  ): Promise<boolean> {
    const result = await db
      .insertInto('certificate_expiry_alerts')
      .values({
        certificate_id: row.certificateId,
        threshold_days: row.thresholdDays,
        not_after: row.notAfter,
        days_left: row.daysLeft,
        alerted_at: row.at,
        alerted_by: row.by,
      })
      .onConflict((oc) => oc.columns(['certificate_id', 'threshold_days']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  },

  /** The recorded certificates, each with its thresholds, soonest expiry first. */
  async alerts(db: Executor): Promise<
    {
      certificateId: number;
      commonName: string;
      serial: string;
      sha256: string;
      notAfter: number;
      thresholds: number[];
      lastAlertAt: number;
    }[]
  > {
    const rows = await db
      .selectFrom('certificate_expiry_alerts as a')
      .innerJoin('certificates as c', 'c.id', 'a.certificate_id')
      .select([
        'c.id as id',
        'c.common_name as commonName',
        'c.serial as serial',
        'c.sha256 as sha256',
        'c.not_after as notAfter',
        'a.threshold_days as threshold',
        'a.alerted_at as at',
      ])
      .orderBy('c.not_after')
      .orderBy('c.id')
      .orderBy('a.threshold_days', 'desc')
      .execute();
    const out = new Map<
      number,
      {
        certificateId: number;
        commonName: string;
        serial: string;
        sha256: string;
        notAfter: number;
        thresholds: number[];
        lastAlertAt: number;
      }
    >();
    for (const r of rows) {
      const id = Number(r.id);
      const entry = out.get(id) ?? {
        certificateId: id,
        commonName: r.commonName,
        serial: r.serial,
        sha256: r.sha256,
        notAfter: Number(r.notAfter),
        thresholds: [],
        lastAlertAt: 0,
      };
      entry.thresholds.push(Number(r.threshold));
      entry.lastAlertAt = Math.max(entry.lastAlertAt, Number(r.at));
      out.set(id, entry);
    }
    return [...out.values()];
  },
};

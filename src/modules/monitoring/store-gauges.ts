import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import type { Metrics } from '../../platform/metrics.js';

const DAY_MS = 86_400_000;
/** The expiry windows the certificate gauge reports; alert rules pick the one they need. */
const EXPIRY_WINDOWS_DAYS = [7, 30, 90] as const;

/**
 * Gauges read from the store at scrape time: the PostgreSQL pool's connections (SQLite has one
 * connection and no pool), and how many certificates of the store expire within each window.
 * Counts only: no certificate's name or serial leaves through the metrics.
 */
export function registerStoreGauges(metrics: Metrics, database: Database, clock: Clock): void {
  const pool = database.postgres?.pool;
  if (pool) {
    metrics.gauge({
      name: 'bulwark_db_pool_connections',
      help: 'PostgreSQL pool connections of this node, by state (idle, busy) and requests waiting for one',
      labelNames: ['state'] as const,
      collect() {
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'busy' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }
  metrics.gauge({
    name: 'bulwark_certificates_expiring',
    help: 'Certificates of the store whose validity ends within the window (days); window "0" counts those already expired',
    labelNames: ['within_days'] as const,
    async collect() {
      const now = clock.now();
      const bounds = [0, ...EXPIRY_WINDOWS_DAYS];
      // A scrape while the database is away keeps the last values; /readyz says why.
      const counts = await Promise.all(
        bounds.map((days) =>
          database.db
            .selectFrom('certificates')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('not_after', '<', now + days * DAY_MS)
            .executeTakeFirst(),
        ),
      ).catch(() => undefined);
      if (counts === undefined) return;
      bounds.forEach((days, i) => this.set({ within_days: String(days) }, Number(counts[i]?.n ?? 0)));
    },
  });
}

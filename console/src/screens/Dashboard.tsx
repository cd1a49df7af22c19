import { useEffect, useState } from 'react';
import { api, ApiError, type Dashboard as DashboardData } from '../api';
import { TableWrap } from '../components/TableWrap';
import { Heading } from '../components/Heading';
import { formatDate, formatDateTime } from '../time';
import { href } from '../router';

const CHART_WIDTH = 600;
const CHART_HEIGHT = 120;

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

/** `YYYY-MM-DD` as a short local date label. */
function dayLabel(day: string): string {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1).toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short',
  });
}

/** What needs attention: password ages, expiring certificates, retrievals, failed sign-ins. */
export function Dashboard() {
  const [data, setData] = useState<DashboardData | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    api.dashboard(controller.signal).then(setData, (err: unknown) => {
      if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      setError(err instanceof Error ? err.message : String(err));
    });
    return () => controller.abort();
  }, []);

  return (
    <>
      <Heading title="Dashboard">Dashboard</Heading>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : !data ? (
        <p className="loading" role="status">
          Loading the dashboard…
        </p>
      ) : (
        <div className="dashboard">
          <Passwords data={data} />
          <Certificates data={data} />
          <Retrievals data={data} />
          {data.failedLogins ? <FailedLogins failed={data.failedLogins} /> : null}
        </div>
      )}
    </>
  );
}

function Passwords({ data }: { data: DashboardData }) {
  const { accounts, expired, byAge } = data.passwords;
  const max = Math.max(1, ...byAge.map((b) => b.count));
  return (
    <section className="card" aria-labelledby="dash-passwords">
      <h2 id="dash-passwords">Passwords</h2>
      <div className="stats">
        <p className="stat">
          <span className="stat-value">{accounts.toLocaleString('en')}</span>{' '}
          <span className="stat-label">{accounts === 1 ? 'account' : 'accounts'}</span>
        </p>
        <p className={expired > 0 ? 'stat stat-alert' : 'stat'}>
          <span className="stat-value">{expired.toLocaleString('en')}</span>{' '}
          <span className="stat-label">expired</span>
        </p>
      </div>
      <h3 id="dash-age">Password age</h3>
      <ul className="bar-list" aria-labelledby="dash-age">
        {byAge.map((bucket) => (
          <li key={bucket.label}>
            <span className="bar-label">{bucket.label}</span>
            <span className="bar-track" aria-hidden="true">
              <span className="bar" style={{ width: `${(bucket.count / max) * 100}%` }} />
            </span>
            <span className="bar-value">
              {bucket.count.toLocaleString('en')}
              <span className="visually-hidden"> {bucket.count === 1 ? 'account' : 'accounts'}</span>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Certificates({ data }: { data: DashboardData }) {
  const certificates = [...data.certificates].sort((a, b) => a.daysLeft - b.daysLeft);
  return (
    <section className="card" aria-labelledby="dash-certificates">
      <h2 id="dash-certificates">Certificates by expiry</h2>
      {certificates.length === 0 ? (
        <p className="empty">No certificate expires in the next 90 days.</p>
      ) : (
        <ol className="timeline">
          {certificates.map((c) => (
            <li
              key={c.id}
              className={c.daysLeft < 0 ? 'timeline-expired' : c.daysLeft <= 30 ? 'timeline-soon' : undefined}
            >
              <span className="timeline-days">
                {c.daysLeft < 0
                  ? `expired ${plural(-c.daysLeft, 'day', 'days')} ago`
                  : c.daysLeft === 0
                    ? 'expires today'
                    : `${plural(c.daysLeft, 'day', 'days')} left`}
              </span>
              <a className="timeline-name" href={href({ name: 'certificate', id: c.id })}>
                {c.commonName || `Certificate ${c.id}`}
              </a>
              <span className="cell-detail">Expires {formatDate(c.notAfter)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function Retrievals({ data }: { data: DashboardData }) {
  const { days, scope } = data.retrievals;
  const total = days.reduce((sum, d) => sum + d.count, 0);
  const max = Math.max(1, ...days.map((d) => d.count));
  const busiest = days.reduce<(typeof days)[number] | undefined>(
    (best, d) => (d.count > (best?.count ?? 0) ? d : best),
    undefined,
  );
  const slot = CHART_WIDTH / Math.max(1, days.length);
  const whose = scope === 'mine' ? 'your' : 'all';
  return (
    <section className="card card-wide" aria-labelledby="dash-retrievals">
      <h2 id="dash-retrievals">Password retrievals</h2>
      <figure className="chart">
        <svg
          viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT + 2}`}
          className="bar-chart"
          aria-hidden="true"
          focusable="false"
          preserveAspectRatio="none"
        >
          <line x1="0" x2={CHART_WIDTH} y1={CHART_HEIGHT + 1} y2={CHART_HEIGHT + 1} className="axis" />
          {days.map((d, i) => {
            const height = d.count === 0 ? 0 : Math.max(2, (d.count / max) * CHART_HEIGHT);
            return (
              <rect
                key={d.day}
                x={i * slot + slot * 0.15}
                y={CHART_HEIGHT - height}
                width={slot * 0.7}
                height={height}
                className="chart-bar"
              >
                <title>{`${dayLabel(d.day)}: ${d.count}`}</title>
              </rect>
            );
          })}
        </svg>
        <div className="chart-axis-labels" aria-hidden="true">
          <span>{days[0] ? dayLabel(days[0].day) : ''}</span>
          <span>{days.at(-1) ? dayLabel(days.at(-1)?.day ?? '') : ''}</span>
        </div>
        <figcaption>
          {plural(total, 'retrieval', 'retrievals')} of {whose} passwords in the last {days.length} days
          {busiest ? `; most on ${dayLabel(busiest.day)} (${busiest.count})` : ''}.
        </figcaption>
      </figure>
      <details className="chart-table">
        <summary>Show as table</summary>
        <TableWrap label="Password retrievals per day">
          <table className="accounts compact">
            <caption className="visually-hidden">Password retrievals per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col">Retrievals</th>
              </tr>
            </thead>
            <tbody>
              {days.map((d) => (
                <tr key={d.day}>
                  <th scope="row">
                    <time dateTime={d.day}>{dayLabel(d.day)}</time>
                  </th>
                  <td>{d.count}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </details>
    </section>
  );
}

function FailedLogins({ failed }: { failed: NonNullable<DashboardData['failedLogins']> }) {
  return (
    <section className="card card-wide" aria-labelledby="dash-failed">
      <h2 id="dash-failed">Failed sign-ins</h2>
      <p className={failed.total > 0 ? 'stat stat-alert' : 'stat'}>
        <span className="stat-value">{failed.total.toLocaleString('en')}</span>{' '}
        <span className="stat-label">in the last {failed.days} days</span>
      </p>
      {failed.recent.length > 0 ? (
        <TableWrap label="Most recent failed sign-ins">
          <table className="accounts compact">
            <caption className="visually-hidden">Most recent failed sign-ins</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">User</th>
                <th scope="col">Client IP</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {failed.recent.map((f, i) => (
                <tr key={`${f.at}-${i}`}>
                  <td>{formatDateTime(f.at)}</td>
                  <td>{f.user}</td>
                  <td>{f.clientIp}</td>
                  <td>{f.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
    </section>
  );
}

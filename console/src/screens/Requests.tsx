import { useState } from 'react';
import { api, ApiError, type MyRequest, type PendingRequest, type RequestStatus, type Session } from '../api';
import { TableWrap } from '../components/TableWrap';
import { errorMessage, useScreenData } from '../components/useScreenData';
import { Heading } from '../components/Heading';
import { ScreenStatus } from '../components/ScreenStatus';
import { formatDateTime, formatRemaining, remainingWords, useNow } from '../time';

const STATUS: Record<RequestStatus, string> = {
  waiting: 'Waiting for approval',
  approved: 'Approved',
  rejected: 'Rejected',
  checked_out: 'Checked out',
  checked_in: 'Checked in',
};

interface Lists {
  readonly mine: readonly MyRequest[];
  readonly pending: readonly PendingRequest[];
}

/** The caller's own password requests, and those waiting for the caller's decision. */
export function Requests({ session }: { session: Session }) {
  const {
    data: lists,
    error,
    setError,
    announcement,
    setAnnouncement,
    reload: load,
  } = useScreenData<Lists>(async () => {
    const [mine, pending] = await Promise.all([api.myRequests(), api.pendingRequests()]);
    return { mine: mine.items, pending: pending.items };
  });
  const [busy, setBusy] = useState<string | undefined>(undefined);

  const checkedOut = lists?.mine.some((r) => r.status === 'checked_out') ?? false;
  const now = useNow(checkedOut);

  async function act(key: string, run: () => Promise<unknown>, done: string, section: string) {
    setBusy(key);
    setError(undefined);
    setAnnouncement('');
    let failure: string | undefined;
    try {
      await run();
      setAnnouncement(done);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      failure = errorMessage(err);
    } finally {
      setBusy(undefined);
      // The refusal is shown after the reload, which clears the screen's error when it succeeds.
      await load();
      if (failure !== undefined) setError(failure);
      // The row's button may be gone: keep the focus in the table's section, not lost on the page.
      window.setTimeout(() => {
        if (document.activeElement === document.body || document.activeElement === null)
          document.getElementById(section)?.focus();
      }, 0);
    }
  }

  return (
    <>
      <div className="page-title-row">
        <Heading title="Requests">Requests</Heading>
        <button
          type="button"
          className="button"
          onClick={() =>
            void load().then((loaded) => {
              if (loaded) setAnnouncement('Requests refreshed');
            })
          }
        >
          Refresh
        </button>
      </div>
      <ScreenStatus announcement={announcement} error={error} />
      {!lists ? (
        <p className="loading" role="status">
          Loading the requests…
        </p>
      ) : (
        <>
          <h2 id="my-requests" tabIndex={-1} className="section-heading">
            My requests
          </h2>
          {lists.mine.length === 0 ? (
            <p className="empty">You have not requested access to any password.</p>
          ) : (
            <TableWrap label="My requests">
              <table className="accounts" aria-labelledby="my-requests">
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col">Status</th>
                    <th scope="col">Requested</th>
                    <th scope="col">Checkout</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {lists.mine.map((r) => {
                    const key = `mine-${r.accountId}-${r.requestedAt}`;
                    const left =
                      r.status === 'checked_out' && r.checkoutExpiresAt !== null
                        ? r.checkoutExpiresAt - now
                        : undefined;
                    return (
                      <tr key={key}>
                        <th scope="row">
                          <a href={`#/resources/${r.resourceId}`}>{r.resourceName}</a> / {r.accountName}
                          {r.reason ? <span className="cell-detail">Reason: {r.reason}</span> : null}
                        </th>
                        <td>{STATUS[r.status]}</td>
                        <td>{formatDateTime(r.requestedAt)}</td>
                        <td>
                          {left !== undefined ? (
                            <span className="countdown" title={remainingWords(left)}>
                              <span aria-hidden="true">{formatRemaining(left)} left</span>
                              <span className="visually-hidden">{remainingWords(left)}</span>
                            </span>
                          ) : (
                            '—'
                          )}
                        </td>
                        <td className="actions">
                          {r.status === 'checked_out' ? (
                            <button
                              type="button"
                              className="button small"
                              disabled={busy === key}
                              onClick={() =>
                                void act(
                                  key,
                                  () => api.checkin(r.accountId, session.user.id),
                                  `The password of ${r.accountName} is checked in`,
                                  'my-requests',
                                )
                              }
                            >
                              Check in
                              <span className="visually-hidden">
                                {' '}
                                {r.resourceName} / {r.accountName}
                              </span>
                            </button>
                          ) : r.status === 'approved' ? (
                            <button
                              type="button"
                              className="button small primary"
                              disabled={busy === key}
                              onClick={() =>
                                void act(
                                  key,
                                  () => api.checkout(r.accountId, r.reason ?? undefined),
                                  `The password of ${r.accountName} is checked out to you`,
                                  'my-requests',
                                )
                              }
                            >
                              Check out
                              <span className="visually-hidden">
                                {' '}
                                {r.resourceName} / {r.accountName}
                              </span>
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}

          <h2 id="pending-requests" tabIndex={-1} className="section-heading">
            Waiting for my approval
          </h2>
          {lists.pending.length === 0 ? (
            <p className="empty">No requests are waiting for your decision.</p>
          ) : (
            <TableWrap label="Waiting for my approval">
              <table className="accounts" aria-labelledby="pending-requests">
                <thead>
                  <tr>
                    <th scope="col">Requester</th>
                    <th scope="col">Account</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Requested</th>
                    <th scope="col">
                      <span className="visually-hidden">Decision</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {lists.pending.map((r) => {
                    const key = `pending-${r.accountId}-${r.requesterId}`;
                    const what = `${r.requesterName}: ${r.resourceName} / ${r.accountName}`;
                    return (
                      <tr key={key}>
                        <th scope="row">
                          {r.requesterName}
                          {r.requesterFullName ? (
                            <span className="cell-detail">{r.requesterFullName}</span>
                          ) : null}
                        </th>
                        <td>
                          <a href={`#/resources/${r.resourceId}`}>{r.resourceName}</a> / {r.accountName}
                        </td>
                        <td className="multiline">
                          {r.reason ?? '—'}
                          {r.ticketId ? <span className="cell-detail">Ticket: {r.ticketId}</span> : null}
                        </td>
                        <td>{formatDateTime(r.requestedAt)}</td>
                        <td className="actions">
                          <span className="button-row">
                            <button
                              type="button"
                              className="button small primary"
                              disabled={busy === key}
                              onClick={() =>
                                void act(
                                  key,
                                  () => api.decide(r.accountId, r.requesterId, 'approve'),
                                  `Approved: ${what}`,
                                  'pending-requests',
                                )
                              }
                            >
                              Approve<span className="visually-hidden"> {what}</span>
                            </button>
                            <button
                              type="button"
                              className="button small"
                              disabled={busy === key}
                              onClick={() =>
                                void act(
                                  key,
                                  () => api.decide(r.accountId, r.requesterId, 'reject'),
                                  `Rejected: ${what}`,
                                  'pending-requests',
                                )
                              }
                            >
                              Reject<span className="visually-hidden"> {what}</span>
                            </button>
                          </span>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </TableWrap>
          )}
        </>
      )}
    </>
  );
}

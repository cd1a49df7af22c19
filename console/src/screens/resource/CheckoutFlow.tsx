import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { api, ApiError, type AccountSummary, type MyRequest } from '../../api';
import { formatRemaining, remainingWords, useNow } from '../../time';

/**
 * The request / approve / check-out flow of an account under access control, as the resource
 * page shows it per account: the caller's requests (from `GET /api/v1/requests/mine`, fetched
 * again when the tab becomes visible and when a checkout runs out) and the buttons of each state.
 */

/** The request that decides what the caller may do with an account now (open ones come first). */
function currentRequests(items: readonly MyRequest[]): Map<number, MyRequest> {
  const byAccount = new Map<number, MyRequest>();
  for (const item of items) if (!byAccount.has(item.accountId)) byAccount.set(item.accountId, item);
  return byAccount;
}

/** The caller's requests by account, while any account of the page is under access control. */
export function useCheckoutRequests(controlled: boolean, onError: (message: string) => void) {
  const [requests, setRequests] = useState<Map<number, MyRequest>>(new Map());
  // The latest sink, without making the refresh (and the effects that use it) change with it.
  const report = useRef(onError);
  report.current = onError;
  const refreshRequests = useCallback(async (): Promise<Map<number, MyRequest> | undefined> => {
    try {
      const current = currentRequests((await api.myRequests()).items);
      setRequests(current);
      return current;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        report.current(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  }, []);

  // The requests' state comes from the server: when the page appears and when the user comes back to it.
  useEffect(() => {
    if (!controlled) return;
    void refreshRequests();
    const onVisible = () => {
      if (document.visibilityState === 'visible') void refreshRequests();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [controlled, refreshRequests]);

  const checkedOut = [...requests.values()].filter((r) => r.status === 'checked_out');
  const clock = useNow(checkedOut.length > 0);
  // A checkout that ran out: ask the server what it is now.
  const expired = checkedOut.some((r) => r.checkoutExpiresAt !== null && r.checkoutExpiresAt <= clock);
  useEffect(() => {
    if (expired) void refreshRequests();
  }, [expired, refreshRequests]);

  return { requests, refreshRequests, clock };
}

export function statusText(request: MyRequest | undefined): string {
  switch (request?.status) {
    case 'waiting':
      return 'waiting for approval';
    case 'approved':
      return 'approved';
    case 'checked_out':
      return 'checked out';
    case 'rejected':
      return 'rejected';
    default:
      return 'no open request';
  }
}

/** Under access control: request → approval → check out → copy/reveal → check in. */
export function ControlledActions({
  account,
  current,
  clock,
  busy,
  userId,
  passwordButtons,
  step,
  refreshStatus,
  openRequest,
}: {
  account: AccountSummary;
  current: MyRequest | undefined;
  clock: number;
  busy: boolean;
  userId: number;
  passwordButtons: ReactNode;
  step: (account: AccountSummary, run: () => Promise<unknown>, done: string) => Promise<void>;
  refreshStatus: (account: AccountSummary) => Promise<void>;
  openRequest: (account: AccountSummary, opener: HTMLElement) => void;
}) {
  const status =
    current?.status === 'checked_out' &&
    current.checkoutExpiresAt !== null &&
    current.checkoutExpiresAt <= clock
      ? 'checked_in'
      : current?.status;
  const of = <span className="visually-hidden"> {account.name}</span>;
  switch (status) {
    case 'checked_out': {
      const left = (current?.checkoutExpiresAt ?? clock) - clock;
      return (
        <>
          <span className="request-status">
            Checked out by you{' '}
            <span className="countdown" title={remainingWords(left)}>
              <span aria-hidden="true">{formatRemaining(left)} left</span>
              <span className="visually-hidden">{remainingWords(left)}</span>
            </span>
          </span>
          <span className="button-row">
            {passwordButtons}
            <button
              type="button"
              className="button small"
              disabled={busy}
              onClick={() =>
                void step(
                  account,
                  () => api.checkin(account.id, userId),
                  `The password of ${account.name} is checked in`,
                )
              }
            >
              Check in{of}
            </button>
          </span>
        </>
      );
    }
    case 'approved':
      return (
        <>
          <span className="request-status">Your request is approved.</span>
          <span className="button-row">
            <button
              type="button"
              className="button small primary"
              disabled={busy}
              onClick={() =>
                void step(
                  account,
                  () => api.checkout(account.id, current?.reason ?? undefined),
                  `The password of ${account.name} is checked out to you`,
                )
              }
            >
              Check out{of}
            </button>
          </span>
        </>
      );
    case 'waiting':
      return (
        <>
          <span className="request-status">Your request is waiting for approval.</span>
          <span className="button-row">
            <button
              type="button"
              className="button small"
              disabled={busy}
              onClick={() => void refreshStatus(account)}
            >
              Refresh status{of}
            </button>
          </span>
        </>
      );
    default:
      return (
        <>
          <span className="request-status">
            {status === 'rejected'
              ? 'Your last request was rejected.'
              : 'Access must be requested and approved first.'}
          </span>
          <span className="button-row">
            <button
              type="button"
              className="button small"
              disabled={busy}
              onClick={(e) => openRequest(account, e.currentTarget)}
            >
              Request access<span className="visually-hidden"> to {account.name}</span>
            </button>
          </span>
        </>
      );
  }
}

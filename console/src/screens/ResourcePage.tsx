import { useEffect, useRef, useState } from 'react';
import { api, ApiError, type AccountSummary, type ResourceWithAccounts, type Session } from '../api';
import { copySecret } from '../clipboard';
import { Heading } from '../components/Heading';
import { ShareDialog } from '../components/ShareDialog';
import { TableWrap } from '../components/TableWrap';
import {
  JustificationDialog,
  RequestDialog,
  type Action,
  type DialogState,
  type Justification,
  type RequestDialogState,
} from './resource/AccessDialogs';
import { AccountManageButtons, ManageDialogs, type Manage } from './resource/Manage';
import { ControlledActions, statusText, useCheckoutRequests } from './resource/CheckoutFlow';
import { needsJustification } from './resource/Release';
import { ResourceDetails } from './resource/ResourceDetails';

const REVEAL_SECONDS = 20;

interface Revealed {
  readonly accountId: number;
  readonly password: string;
  /** Date.now() when it is hidden again. */
  readonly hideAt: number;
}

export function ResourcePage({ id, session }: { id: number; session: Session }) {
  const [data, setData] = useState<ResourceWithAccounts | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [dialog, setDialog] = useState<DialogState | undefined>(undefined);
  const [revealed, setRevealed] = useState<Revealed | undefined>(undefined);
  const [busy, setBusy] = useState<number | undefined>(undefined);
  const [requestDialog, setRequestDialog] = useState<RequestDialogState | undefined>(undefined);
  const [shareOpener, setShareOpener] = useState<HTMLElement | null | undefined>(undefined);
  const [manage, setManage] = useState<Manage | undefined>(undefined);
  /** Bumped after a change (edit, new or deleted account) to load the resource again. */
  const [version, setVersion] = useState(0);
  const focusAccountsAfterLoad = useRef(false);

  // The server says, per account, whether this caller must request and check out first (owners
  // of the account or its resource are exempt, as the checkout gate decides).
  const mustRequest = (account: AccountSummary): boolean => account.checkoutRequired;
  const controlled = data?.accounts.some(mustRequest) ?? false;
  const { requests, refreshRequests, clock } = useCheckoutRequests(controlled, setActionError);

  useEffect(() => {
    const controller = new AbortController();
    api.resource(id, controller.signal).then(
      (answer) => {
        setData(answer);
        if (focusAccountsAfterLoad.current) {
          focusAccountsAfterLoad.current = false;
          window.setTimeout(() => document.getElementById('accounts-heading')?.focus(), 0);
        }
      },
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setLoadError(
          err instanceof ApiError && err.status === 404
            ? 'This resource does not exist, or it is not shared with you.'
            : err instanceof Error
              ? err.message
              : String(err),
        );
      },
    );
    return () => controller.abort();
  }, [id, version]);

  // The revealed password disappears REVEAL_SECONDS after it was shown, counting down each second
  // (from the clock, so a throttled background tab still hides it on time).
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!revealed) return;
    const tick = () => {
      const time = Date.now();
      if (time >= revealed.hideAt) setRevealed(undefined);
      else setNow(time);
    };
    tick();
    const timer = window.setInterval(tick, 250);
    return () => window.clearInterval(timer);
  }, [revealed]);

  async function perform(
    account: AccountSummary,
    action: Action,
    justification: Justification,
  ): Promise<void> {
    const { password } = await api.password(account.id, justification);
    if (action === 'copy') {
      await copySecret(password, session.clipboardClearSeconds);
      setAnnouncement(
        `Password copied; the clipboard is cleared in ${session.clipboardClearSeconds} seconds`,
      );
    } else {
      setRevealed({ accountId: account.id, password, hideAt: Date.now() + REVEAL_SECONDS * 1000 });
      setAnnouncement(`Password of ${account.name} shown for ${REVEAL_SECONDS} seconds`);
    }
  }

  function describe(err: unknown): string {
    if (err instanceof DOMException && err.name === 'NotAllowedError')
      return 'The browser did not allow copying to the clipboard. Use Reveal instead.';
    return err instanceof Error ? err.message : String(err);
  }

  async function start(account: AccountSummary, action: Action, opener: HTMLElement) {
    setActionError(undefined);
    setAnnouncement('');
    if (needsJustification(account)) {
      setDialog({ account, action, opener });
      return;
    }
    setBusy(account.id);
    try {
      await perform(account, action, {});
    } catch (err) {
      if (err instanceof ApiError && (err.field === 'reason' || err.field === 'ticketId'))
        setDialog({ account, action, opener, error: { field: err.field, message: err.message } });
      else if (!(err instanceof ApiError && err.status === 401)) setActionError(describe(err));
    } finally {
      setBusy(undefined);
    }
  }

  async function step(account: AccountSummary, run: () => Promise<unknown>, done: string) {
    setActionError(undefined);
    setAnnouncement('');
    setBusy(account.id);
    try {
      await run();
      await refreshRequests();
      setAnnouncement(done);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) {
        setActionError(describe(err));
        await refreshRequests();
      }
    } finally {
      setBusy(undefined);
    }
  }

  function passwordButtons(account: AccountSummary) {
    return (
      <>
        <button
          type="button"
          className="button small"
          disabled={busy === account.id}
          onClick={(e) => void start(account, 'copy', e.currentTarget)}
        >
          Copy password<span className="visually-hidden"> of {account.name}</span>
        </button>
        <button
          type="button"
          className="button small"
          disabled={busy === account.id}
          onClick={(e) => void start(account, 'reveal', e.currentTarget)}
        >
          Reveal<span className="visually-hidden"> password of {account.name}</span>
        </button>
      </>
    );
  }

  async function refreshStatus(account: AccountSummary) {
    setActionError(undefined);
    setAnnouncement('');
    setBusy(account.id);
    const current = await refreshRequests();
    setBusy(undefined);
    if (current) setAnnouncement(`Your request for ${account.name}: ${statusText(current.get(account.id))}`);
  }

  if (loadError)
    return (
      <>
        <Heading title="Resource not available">Resource not available</Heading>
        <p role="alert">{loadError}</p>
        <p>
          <a href="#/resources">Back to the resources</a>
        </p>
      </>
    );
  if (!data)
    return (
      <p className="loading" role="status">
        Loading the resource…
      </p>
    );

  const { resource, accounts } = data;
  return (
    <>
      <p className="breadcrumb">
        <a href="#/resources">Resources</a>
      </p>
      <div className="page-title-row">
        <Heading title={resource.name}>{resource.name}</Heading>
        <span className="button-row">
          <button type="button" className="button" onClick={(e) => setShareOpener(e.currentTarget)}>
            Share
          </button>
          {resource.permission === 'full' ? (
            <>
              <button
                type="button"
                className="button"
                onClick={(e) => setManage({ kind: 'edit', opener: e.currentTarget })}
              >
                Edit resource
              </button>
              <button
                type="button"
                className="button"
                onClick={(e) => setManage({ kind: 'delete', opener: e.currentTarget })}
              >
                Delete resource
              </button>
            </>
          ) : null}
        </span>
      </div>
      <ResourceDetails resource={resource} />

      <div className="section-title-row">
        <h2 id="accounts-heading" className="section-heading" tabIndex={-1}>
          Accounts
        </h2>
        {resource.permission === 'full' ? (
          <button
            type="button"
            className="button small"
            onClick={(e) => setManage({ kind: 'add-account', opener: e.currentTarget })}
          >
            Add account
          </button>
        ) : null}
      </div>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      {actionError ? (
        <p role="alert" className="alert alert-error">
          {actionError}
        </p>
      ) : null}
      {accounts.length === 0 ? (
        <p>This resource has no accounts.</p>
      ) : (
        <TableWrap label="Accounts">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Password status</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((account) => (
                <tr key={account.id}>
                  <th scope="row">
                    {account.name}
                    {account.accessControl ? <span className="badge">Access control</span> : null}
                    {account.reasonRequired ? <span className="badge">Reason required</span> : null}
                    {account.ticketRequired || account.ticketRequiredMandatory ? (
                      <span className="badge">
                        Ticket {account.ticketRequiredMandatory ? 'required' : 'requested'}
                      </span>
                    ) : null}
                  </th>
                  <td>{account.passwordStatus}</td>
                  <td className="actions">
                    {mustRequest(account) ? (
                      <ControlledActions
                        account={account}
                        current={requests.get(account.id)}
                        clock={clock}
                        busy={busy === account.id}
                        userId={session.user.id}
                        passwordButtons={passwordButtons(account)}
                        step={step}
                        refreshStatus={refreshStatus}
                        openRequest={(a, opener) => {
                          setActionError(undefined);
                          setAnnouncement('');
                          setRequestDialog({ account: a, opener });
                        }}
                      />
                    ) : (
                      <span className="button-row">{passwordButtons(account)}</span>
                    )}
                    <AccountManageButtons
                      account={account}
                      resource={resource}
                      onOpen={(m) => {
                        setActionError(undefined);
                        setAnnouncement('');
                        setManage(m);
                      }}
                    />
                    {revealed && revealed.accountId === account.id ? (
                      <span className="revealed">
                        <code className="revealed-password" data-testid="revealed-password">
                          {revealed.password}
                        </code>
                        <span className="countdown">
                          Hidden in{' '}
                          {Math.min(REVEAL_SECONDS, Math.max(1, Math.ceil((revealed.hideAt - now) / 1000)))} s
                        </span>
                        <button type="button" className="link-button" onClick={() => setRevealed(undefined)}>
                          Hide<span className="visually-hidden"> password of {account.name}</span>
                        </button>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {requestDialog ? (
        <RequestDialog
          state={requestDialog}
          onCancel={() => setRequestDialog(undefined)}
          onSubmit={async (justification) => {
            const { account } = requestDialog;
            try {
              await api.requestAccess(account.id, justification);
              setRequestDialog(undefined);
              await refreshRequests();
              setAnnouncement(`Access to ${account.name} requested; waiting for approval`);
            } catch (err) {
              if (err instanceof ApiError && (err.field === 'reason' || err.field === 'ticketId'))
                setRequestDialog({ ...requestDialog, error: { field: err.field, message: err.message } });
              else if (err instanceof ApiError && err.status === 401) setRequestDialog(undefined);
              else {
                setRequestDialog({ ...requestDialog, error: { message: describe(err) } });
                void refreshRequests();
              }
            }
          }}
        />
      ) : null}
      {shareOpener !== undefined ? (
        <ShareDialog
          resourceName={resource.name}
          share={(grantee, permission) => api.share({ resourceId: resource.id, grantee, permission })}
          opener={shareOpener}
          onClose={() => setShareOpener(undefined)}
          onShared={(message) => {
            setShareOpener(undefined);
            setAnnouncement(message);
          }}
        />
      ) : null}
      {manage ? (
        <ManageDialogs
          manage={manage}
          resource={resource}
          onClose={() => setManage(undefined)}
          onChanged={(message) => {
            const removedRow = manage.kind === 'delete-account';
            setManage(undefined);
            setAnnouncement(message);
            setVersion((v) => v + 1);
            // The row whose button had the focus goes: the focus goes to the section's heading.
            focusAccountsAfterLoad.current = removedRow;
          }}
        />
      ) : null}
      {dialog ? (
        <JustificationDialog
          state={dialog}
          onCancel={() => setDialog(undefined)}
          onSubmit={async (justification) => {
            try {
              await perform(dialog.account, dialog.action, justification);
              setDialog(undefined);
            } catch (err) {
              if (err instanceof ApiError && (err.field === 'reason' || err.field === 'ticketId'))
                setDialog({ ...dialog, error: { field: err.field, message: err.message } });
              else if (err instanceof ApiError && err.status === 401) setDialog(undefined);
              else setDialog({ ...dialog, error: { message: describe(err) } });
            }
          }}
        />
      ) : null}
    </>
  );
}

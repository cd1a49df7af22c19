import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type AccountSummary, type ResourceWithAccounts, type Session } from '../api';
import { copySecret } from '../clipboard';
import { Dialog } from '../components/Dialog';
import { Field, focusFirstInvalid } from '../components/Field';
import { Heading } from '../components/Heading';

const REVEAL_SECONDS = 20;

type Action = 'copy' | 'reveal';

interface Justification {
  reason?: string;
  ticketId?: string;
}

interface DialogState {
  readonly account: AccountSummary;
  readonly action: Action;
  readonly opener: HTMLElement | null;
  readonly error?: { field?: 'reason' | 'ticketId'; message: string };
}

interface Revealed {
  readonly accountId: number;
  readonly password: string;
  /** Date.now() when it is hidden again. */
  readonly hideAt: number;
}

function needsJustification(account: AccountSummary): boolean {
  return account.reasonRequired || account.ticketRequired || account.ticketRequiredMandatory;
}

function safeUrl(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? url : undefined;
}

export function ResourcePage({ id, session }: { id: number; session: Session }) {
  const [data, setData] = useState<ResourceWithAccounts | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [actionError, setActionError] = useState<string | undefined>(undefined);
  const [dialog, setDialog] = useState<DialogState | undefined>(undefined);
  const [revealed, setRevealed] = useState<Revealed | undefined>(undefined);
  const [busy, setBusy] = useState<number | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    api.resource(id, controller.signal).then(setData, (err: unknown) => {
      if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      setLoadError(
        err instanceof ApiError && err.status === 404
          ? 'This resource does not exist, or it is not shared with you.'
          : err instanceof Error
            ? err.message
            : String(err),
      );
    });
    return () => controller.abort();
  }, [id]);

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
  const url = safeUrl(resource.url);
  return (
    <>
      <p className="breadcrumb">
        <a href="#/resources">Resources</a>
      </p>
      <Heading title={resource.name}>{resource.name}</Heading>
      <dl className="details">
        <div>
          <dt>Type</dt>
          <dd>{resource.type}</dd>
        </div>
        <div>
          <dt>DNS name</dt>
          <dd>{resource.dnsName || '—'}</dd>
        </div>
        <div>
          <dt>Description</dt>
          <dd className="multiline">{resource.description || '—'}</dd>
        </div>
        <div>
          <dt>URL</dt>
          <dd>
            {url ? (
              <a href={url} target="_blank" rel="noopener noreferrer">
                {resource.url}
              </a>
            ) : (
              resource.url || '—'
            )}
          </dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>{resource.owner}</dd>
        </div>
      </dl>

      <h2>Accounts</h2>
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
        <div className="table-wrap">
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
                    {account.reasonRequired ? <span className="badge">Reason required</span> : null}
                    {account.ticketRequired || account.ticketRequiredMandatory ? (
                      <span className="badge">
                        Ticket {account.ticketRequiredMandatory ? 'required' : 'requested'}
                      </span>
                    ) : null}
                  </th>
                  <td>{account.passwordStatus}</td>
                  <td className="actions">
                    <span className="button-row">
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
                    </span>
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
        </div>
      )}
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

function JustificationDialog({
  state,
  onCancel,
  onSubmit,
}: {
  state: DialogState;
  onCancel: () => void;
  onSubmit: (justification: Justification) => Promise<void>;
}) {
  const { account, action, error } = state;
  const [reason, setReason] = useState('');
  const [ticketId, setTicketId] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const askTicket = account.ticketRequired || account.ticketRequiredMandatory;
  const askReason = account.reasonRequired || !askTicket || error?.field === 'reason';

  useEffect(() => {
    setBusy(false);
    focusFirstInvalid(form.current);
  }, [error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    void onSubmit({
      ...(askReason ? { reason: reason.trim() } : {}),
      ...(askTicket || error?.field === 'ticketId' ? { ticketId: ticketId.trim() } : {}),
    });
  }

  return (
    <Dialog
      title={`${action === 'copy' ? 'Copy' : 'Reveal'} the password of ${account.name}`}
      onClose={onCancel}
      returnFocusTo={state.opener}
    >
      <p>Your reason is recorded in the audit trail with this access.</p>
      {error && !error.field ? (
        <p role="alert" className="alert alert-error">
          {error.message}
        </p>
      ) : null}
      <form ref={form} noValidate onSubmit={submit}>
        {askReason ? (
          <Field
            label="Reason"
            name="reason"
            required={account.reasonRequired}
            autoComplete="off"
            value={reason}
            error={error?.field === 'reason' ? error.message : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
        ) : null}
        {askTicket || error?.field === 'ticketId' ? (
          <Field
            label="Ticket ID"
            name="ticketId"
            required={account.ticketRequiredMandatory}
            hint={account.ticketRequiredMandatory ? undefined : 'Optional.'}
            autoComplete="off"
            spellCheck={false}
            value={ticketId}
            error={error?.field === 'ticketId' ? error.message : undefined}
            onChange={(e) => setTicketId(e.target.value)}
          />
        ) : null}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {action === 'copy' ? 'Copy password' : 'Reveal password'}
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type AccountSummary, type Justification } from '../../api';
import { Field, focusFirstInvalid } from '../../components/Field';

export function needsJustification(account: AccountSummary): boolean {
  return account.reasonRequired || account.ticketRequired || account.ticketRequiredMandatory;
}

type Phase<T> =
  | { readonly name: 'ask'; readonly error?: { field?: 'reason' | 'ticketId'; message: string } }
  | { readonly name: 'loading' }
  | { readonly name: 'done'; readonly value: T; readonly justification: Justification }
  | { readonly name: 'failed'; readonly message: string };

/**
 * A release beside the password (history, TOTP code, file) inside a dialog: when the account asks
 * for a reason or ticket ID (or the server does), a form for them first; otherwise it runs at
 * once. The result is rendered by `render`; refusals are shown in the dialog.
 */
export function Release<T>({
  account,
  actionLabel,
  load,
  render,
}: {
  account: AccountSummary;
  actionLabel: string;
  load: (justification: Justification) => Promise<T>;
  render: (value: T, justification: Justification) => ReactNode;
}) {
  const [phase, setPhase] = useState<Phase<T>>(
    needsJustification(account) ? { name: 'ask' } : { name: 'loading' },
  );
  const [reason, setReason] = useState('');
  const [ticketId, setTicketId] = useState('');
  const form = useRef<HTMLFormElement>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  async function run(justification: Justification) {
    setPhase({ name: 'loading' });
    try {
      const value = await loadRef.current(justification);
      setPhase({ name: 'done', value, justification });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      if (err instanceof ApiError && (err.field === 'reason' || err.field === 'ticketId'))
        setPhase({ name: 'ask', error: { field: err.field, message: err.message } });
      else setPhase({ name: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  }

  const started = useRef(false);
  useEffect(() => {
    if (started.current || needsJustification(account)) return;
    started.current = true;
    void run({});
    // Runs once, when the dialog opens without a prompt.
  }, []);

  const error = phase.name === 'ask' ? phase.error : undefined;
  useEffect(() => focusFirstInvalid(form.current), [error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const r = reason.trim();
    const t = ticketId.trim();
    void run({ ...(r !== '' ? { reason: r } : {}), ...(t !== '' ? { ticketId: t } : {}) });
  }

  switch (phase.name) {
    case 'loading':
      return (
        <p className="loading" role="status">
          Loading…
        </p>
      );
    case 'failed':
      return (
        <p role="alert" className="alert alert-error">
          {phase.message}
        </p>
      );
    case 'done':
      return <>{render(phase.value, phase.justification)}</>;
    case 'ask': {
      const askTicket =
        account.ticketRequired || account.ticketRequiredMandatory || error?.field === 'ticketId';
      return (
        <form ref={form} noValidate onSubmit={submit}>
          <p>Your reason is recorded in the audit trail with this access.</p>
          <Field
            label="Reason"
            name="reason"
            required={account.reasonRequired}
            autoComplete="off"
            value={reason}
            error={error?.field === 'reason' ? error.message : undefined}
            onChange={(e) => setReason(e.target.value)}
          />
          {askTicket ? (
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
            <button type="submit" className="button primary">
              {actionLabel}
            </button>
          </p>
        </form>
      );
    }
  }
}

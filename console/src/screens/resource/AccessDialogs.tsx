import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { AccountSummary } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, focusFirstInvalid } from '../../components/Field';

export type Action = 'copy' | 'reveal';

export interface Justification {
  reason?: string;
  ticketId?: string;
}

export interface DialogState {
  readonly account: AccountSummary;
  readonly action: Action;
  readonly opener: HTMLElement | null;
  readonly error?: { field?: 'reason' | 'ticketId'; message: string };
}

export interface RequestDialogState {
  readonly account: AccountSummary;
  readonly opener: HTMLElement | null;
  readonly error?: { field?: 'reason' | 'ticketId'; message: string };
}

/** The reason / ticket ID asked before a password is copied or revealed. */
export function JustificationDialog({
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

/** A request for access to a password under access control. */
export function RequestDialog({
  state,
  onCancel,
  onSubmit,
}: {
  state: RequestDialogState;
  onCancel: () => void;
  onSubmit: (justification: Justification) => Promise<void>;
}) {
  const { account, error } = state;
  const [reason, setReason] = useState('');
  const [ticketId, setTicketId] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    setBusy(false);
    focusFirstInvalid(form.current);
  }, [error]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const trimmedReason = reason.trim();
    const trimmedTicket = ticketId.trim();
    void onSubmit({
      ...(trimmedReason !== '' ? { reason: trimmedReason } : {}),
      ...(trimmedTicket !== '' ? { ticketId: trimmedTicket } : {}),
    });
  }

  return (
    <Dialog title={`Request access to ${account.name}`} onClose={onCancel} returnFocusTo={state.opener}>
      <p>
        An approver decides on your request. Once it is approved, check the password out: it is yours alone
        until you check it in or the checkout ends.
      </p>
      {error && !error.field ? (
        <p role="alert" className="alert alert-error">
          {error.message}
        </p>
      ) : null}
      <form ref={form} noValidate onSubmit={submit}>
        <Field
          label="Reason"
          name="reason"
          required={account.reasonRequired}
          hint={account.reasonRequired ? undefined : 'Recorded with the request and shown to the approver.'}
          autoComplete="off"
          value={reason}
          error={error?.field === 'reason' ? error.message : undefined}
          onChange={(e) => setReason(e.target.value)}
        />
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
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Request access
          </button>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

import { useEffect, useRef, useState } from 'react';
import {
  api,
  ApiError,
  describeRules,
  type AccountSummary,
  type PasswordPolicy,
  type EarlierPassword,
  type Justification,
  type Rotation,
  type TotpCode,
} from '../../api';
import { Dialog } from '../../components/Dialog';
import { CheckboxField, Field } from '../../components/Field';
import { TableWrap } from '../../components/TableWrap';
import { saveFile } from '../../download';
import { useFormSubmit } from '../../components/useFormSubmit';
import { formatDateTime } from '../../time';
import { needsJustification, Release } from './Release';
import { FormAlert } from '../../components/FormAlert';

interface Common {
  readonly resourceId: number;
  readonly account: AccountSummary;
  readonly opener: HTMLElement | null;
  readonly onClose: () => void;
}

type ChangeField = 'password' | 'reason' | 'ticketId';

/**
 * A new password for an account: in the vault, or on the target first (remote reset). `Generate`
 * asks the server for one following the account's effective policy, whose rules are the hint.
 */
export function ChangePasswordDialog({
  resourceId,
  account,
  opener,
  onClose,
  onChanged,
}: Common & { onChanged: (message: string) => void }) {
  const [password, setPassword] = useState('');
  const [shown, setShown] = useState(false);
  const [remote, setRemote] = useState(false);
  const [reason, setReason] = useState('');
  const [ticketId, setTicketId] = useState('');
  const [policy, setPolicy] = useState<PasswordPolicy | undefined>(undefined);
  const [generated, setGenerated] = useState('');
  const askWhy = needsJustification(account);
  // The remote reset's refusal (not configured, the target refused) is the form's message: the
  // checkbox is not what the user typed wrong. Reason and ticket only when they are asked.
  const { form, errors, busy, run, submit } = useFormSubmit<ChangeField>(
    askWhy ? ['password', 'reason', 'ticketId'] : ['password'],
  );

  useEffect(() => {
    const abort = new AbortController();
    api.accountPasswordPolicy(resourceId, account.id, abort.signal).then(
      (answer) => setPolicy(answer.policy),
      () => undefined, // The hint is a help; the change itself says what is wrong.
    );
    return () => abort.abort();
  }, [resourceId, account.id]);

  const generate = () =>
    void run(async () => {
      const answer = await api.generatePassword(resourceId, account.id);
      setPolicy(answer.policy);
      setPassword(answer.password);
      setGenerated(
        `A password following the policy ${answer.policy.name} was generated; it is not saved yet.`,
      );
    });

  async function change() {
    await api.changePassword(resourceId, account.id, {
      password,
      remote,
      ...(reason.trim() !== '' ? { reason: reason.trim() } : {}),
      ...(ticketId.trim() !== '' ? { ticketId: ticketId.trim() } : {}),
    });
    onChanged(
      remote
        ? `The password of ${account.name} was changed on the target and in the vault`
        : `The password of ${account.name} was changed in the vault`,
    );
  }

  return (
    <Dialog title={`Change the password of ${account.name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(change, () => (password === '' ? { password: 'Enter the new password' } : {}))}
      >
        <Field
          label="New password"
          name="password"
          type={shown ? 'text' : 'password'}
          required
          autoComplete="new-password"
          spellCheck={false}
          value={password}
          hint={policy ? `Policy ${policy.name}: ${describeRules(policy.rules).join('; ')}.` : undefined}
          error={errors.password}
          onChange={(e) => {
            setPassword(e.target.value);
            setGenerated('');
          }}
        />
        <p className="button-row">
          <button type="button" className="button small" disabled={busy} onClick={generate}>
            Generate
          </button>
          <button
            type="button"
            className="button small"
            aria-pressed={shown}
            onClick={() => setShown((s) => !s)}
          >
            {shown ? 'Hide' : 'Show'}
            <span className="visually-hidden"> password</span>
          </button>
        </p>
        <p className="announcer" role="status" aria-live="polite">
          {generated}
        </p>
        <CheckboxField
          label="Also change it on the target (remote reset)"
          name="remote"
          checked={remote}
          hint="The target system's password is changed first; the vault keeps the old one if that fails."
          onChange={(e) => setRemote(e.target.checked)}
        />
        {askWhy ? (
          <>
            <Field
              label="Reason"
              name="reason"
              required={account.reasonRequired}
              autoComplete="off"
              value={reason}
              error={errors.reason}
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
              error={errors.ticketId}
              onChange={(e) => setTicketId(e.target.value)}
            />
          </>
        ) : null}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** The earlier passwords, newest first, each masked until revealed. */
export function HistoryDialog({ resourceId, account, opener, onClose }: Common) {
  return (
    <Dialog title={`Password history of ${account.name}`} onClose={onClose} returnFocusTo={opener}>
      <Release
        account={account}
        actionLabel="Show password history"
        load={(why) => api.passwordHistory(resourceId, account.id, why)}
        render={(answer) => <HistoryTable account={account} items={answer.items} />}
      />
      <p className="button-row">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

function HistoryTable({ account, items }: { account: AccountSummary; items: readonly EarlierPassword[] }) {
  const [shown, setShown] = useState<ReadonlySet<number>>(new Set());
  if (items.length === 0) return <p>{account.name} has no earlier passwords.</p>;
  return (
    <TableWrap label="Earlier passwords">
      <table className="accounts compact">
        <caption className="visually-hidden">Earlier passwords of {account.name}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Password</th>
            <th scope="col">Replaced</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((item, index) => {
            const visible = shown.has(index);
            const when = formatDateTime(item.replacedAt);
            return (
              <tr key={index}>
                <td>
                  {item.password === null ? (
                    'Not available'
                  ) : visible ? (
                    <code className="revealed-password" data-testid="history-password">
                      {item.password}
                    </code>
                  ) : (
                    <span aria-label="Hidden password">••••••••</span>
                  )}
                </td>
                <td className="nowrap">{when}</td>
                <td>
                  {item.password === null ? null : (
                    <button
                      type="button"
                      className="button small"
                      aria-pressed={visible}
                      onClick={() =>
                        setShown((current) => {
                          const next = new Set(current);
                          if (visible) next.delete(index);
                          else next.add(index);
                          return next;
                        })
                      }
                    >
                      {visible ? 'Hide' : 'Reveal'}
                      <span className="visually-hidden"> the password replaced {when}</span>
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableWrap>
  );
}

/** The account's TOTP code with its countdown; the next code is fetched when it runs out. */
export function TotpDialog({ account, opener, onClose }: Common) {
  return (
    <Dialog title={`TOTP code of ${account.name}`} onClose={onClose} returnFocusTo={opener}>
      <Release
        account={account}
        actionLabel="Show TOTP code"
        load={(why) => api.totp(account.id, why)}
        render={(first, why) => <TotpView account={account} first={first} justification={why} />}
      />
      <p className="button-row">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

function TotpView({
  account,
  first,
  justification,
}: {
  account: AccountSummary;
  first: TotpCode;
  justification: Justification;
}) {
  const [code, setCode] = useState<{ value: TotpCode; until: number }>(() => ({
    value: first,
    until: Date.now() + first.validForSeconds * 1000,
  }));
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<string | undefined>(undefined);
  const left = Math.max(0, Math.ceil((code.until - now) / 1000));

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, []);

  // At 0 the next code (while the dialog is open: closing it unmounts this and stops the clock).
  const fetching = useRef(false);
  useEffect(() => {
    if (left > 0 || fetching.current || error) return;
    fetching.current = true;
    let cancelled = false;
    api.totp(account.id, justification).then(
      (value) => {
        fetching.current = false;
        if (!cancelled) setCode({ value, until: Date.now() + value.validForSeconds * 1000 });
      },
      (err: unknown) => {
        fetching.current = false;
        if (!cancelled && !(err instanceof ApiError && err.status === 401))
          setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [left, error, account.id, justification]);

  return (
    <div className="totp">
      <p className="totp-code">
        <span className="visually-hidden">Code: </span>
        <code data-testid="totp-code">{code.value.code}</code>
      </p>
      <p className="countdown" data-testid="totp-countdown">
        <span aria-hidden="true">{left} s left</span>
        <span className="visually-hidden">
          {left === 1 ? 'Valid for 1 more second' : `Valid for ${left} more seconds`}
        </span>
      </p>
      <p className="hint">A new code appears when this one runs out (every {code.value.period} seconds).</p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** Downloads the account's file (saved through an object URL, revoked at once). */
export function DownloadDialog({ resourceId, account, opener, onClose }: Common) {
  return (
    <Dialog title={`Download the file of ${account.name}`} onClose={onClose} returnFocusTo={opener}>
      <Release
        account={account}
        actionLabel="Download file"
        load={async (why) => {
          const file = await api.downloadFile(resourceId, account.id, why);
          saveFile(file);
          return file.fileName;
        }}
        render={(name) => (
          <p role="status" className="notice">
            {name} downloaded.
          </p>
        )}
      />
      <p className="button-row">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

/** The account's latest remote resets (rotations on its target). */
export function RotationsDialog({ account, opener, onClose }: Common) {
  const [items, setItems] = useState<readonly Rotation[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    api.rotations(account.id, controller.signal).then(
      (answer) => setItems(answer.items),
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => controller.abort();
  }, [account.id]);

  return (
    <Dialog title={`Remote resets of ${account.name}`} onClose={onClose} returnFocusTo={opener}>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : items === undefined ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : items.length === 0 ? (
        <p>No remote resets yet.</p>
      ) : (
        <TableWrap label="Remote resets">
          <table className="accounts compact">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Requested by</th>
                <th scope="col">Message</th>
                <th scope="col">Started</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.rotationId}>
                  <td>{r.status}</td>
                  <td>{r.trigger}</td>
                  <td>{r.requestedBy}</td>
                  <td>{r.message ?? '—'}</td>
                  <td className="nowrap">{formatDateTime(r.startedAt)}</td>
                  <td className="nowrap">{r.finishedAt === null ? '—' : formatDateTime(r.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <p className="button-row">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

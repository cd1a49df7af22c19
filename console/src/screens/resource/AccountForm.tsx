import { useEffect, useState } from 'react';
import { api, ApiError, type AccountDetails, type PasswordPolicy } from '../../api';
import { Dialog } from '../../components/Dialog';
import { CheckboxField, Field, SelectField, TextAreaField } from '../../components/Field';
import { useFormSubmit } from '../../components/useFormSubmit';
import { formatDateTime } from '../../time';
import { FormAlert } from '../../components/FormAlert';

interface Controls {
  reasonRequired: boolean;
  ticketRequired: boolean;
  ticketRequiredMandatory: boolean;
  accessControl: boolean;
}

const NO_CONTROLS: Controls = {
  reasonRequired: false,
  ticketRequired: false,
  ticketRequiredMandatory: false,
  accessControl: false,
};

/** The account's retrieval controls, the same in the add and the edit dialog. */
function ControlsFieldset({ value, onChange }: { value: Controls; onChange: (next: Controls) => void }) {
  function flag(key: keyof Controls, label: string, hint?: string) {
    return (
      <CheckboxField
        label={label}
        name={key}
        checked={value[key]}
        {...(hint ? { hint } : {})}
        onChange={(e) => onChange({ ...value, [key]: e.target.checked })}
      />
    );
  }
  return (
    <fieldset className="checkbox-group">
      <legend>Controls</legend>
      {flag('reasonRequired', 'Reason required')}
      {flag(
        'ticketRequired',
        'Ticket ID required',
        'A ticket ID, when given, is checked with the ticket system.',
      )}
      {flag('ticketRequiredMandatory', 'Ticket ID mandatory', 'A retrieval without a ticket ID is refused.')}
      {flag(
        'accessControl',
        'Access control',
        'Others must request access, be approved and check the password out.',
      )}
    </fieldset>
  );
}

function FormButtons({
  busy,
  label,
  busyLabel,
  onCancel,
}: {
  busy: boolean;
  label: string;
  busyLabel: string;
  onCancel: () => void;
}) {
  return (
    <p className="button-row">
      <button type="submit" className="button primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </p>
  );
}

/** A further account of a resource, with its access controls. */
export function AddAccountDialog({
  resourceId,
  opener,
  onClose,
  onAdded,
}: {
  resourceId: number;
  opener: HTMLElement | null;
  onClose: () => void;
  onAdded: (name: string) => void;
}) {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [notes, setNotes] = useState('');
  const [controls, setControls] = useState(NO_CONTROLS);
  const { form, errors, busy, submit } = useFormSubmit(['name', 'password', 'notes']);

  const add = submit(async () => {
    await api.addAccount(resourceId, {
      name: name.trim(),
      password,
      ...(notes.trim() !== '' ? { notes } : {}),
      ...controls,
    });
    onAdded(name.trim());
  });

  return (
    <Dialog title="Add account" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={add}>
        <Field
          label="Account name"
          name="name"
          required
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          autoComplete="new-password"
          value={password}
          error={errors.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <TextAreaField
          label="Notes"
          name="notes"
          value={notes}
          error={errors.notes}
          onChange={(e) => setNotes(e.target.value)}
        />
        <ControlsFieldset value={controls} onChange={setControls} />
        <FormButtons busy={busy} label="Add account" busyLabel="Adding…" onCancel={onClose} />
      </form>
    </Dialog>
  );
}

/**
 * An account's details (owner, times: nothing secret) and its editable part: name, notes, its
 * password policy (from the policies list; sent only when changed, so an account following its
 * resource's policy is not pinned to it by a save) and the retrieval controls. The dialog loads
 * the details and the policies when it opens; the server checks the policy exists.
 */
export function EditAccountDialog({
  resourceId,
  accountId,
  accountName,
  opener,
  onClose,
  onSaved,
}: {
  resourceId: number;
  accountId: number;
  accountName: string;
  opener: HTMLElement | null;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const [details, setDetails] = useState<AccountDetails | undefined>();
  const [loadError, setLoadError] = useState<string | undefined>();
  const [name, setName] = useState('');
  const [notes, setNotes] = useState('');
  const [controls, setControls] = useState(NO_CONTROLS);
  const [policies, setPolicies] = useState<readonly PasswordPolicy[]>([]);
  const [policy, setPolicy] = useState('');
  const { form, errors, busy, submit } = useFormSubmit(['name', 'notes', 'passwordPolicy']);

  useEffect(() => {
    const abort = new AbortController();
    Promise.all([api.account(resourceId, accountId, abort.signal), api.passwordPolicies(abort.signal)]).then(
      ([loaded, list]) => {
        setPolicies(list.items);
        setPolicy(loaded.passwordPolicy);
        setDetails(loaded);
        setName(loaded.name);
        setNotes(loaded.notes ?? '');
        setControls({
          reasonRequired: loaded.reasonRequired,
          ticketRequired: loaded.ticketRequired,
          ticketRequiredMandatory: loaded.ticketRequiredMandatory,
          accessControl: loaded.accessControl,
        });
      },
      (err: unknown) => {
        if (abort.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setLoadError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => abort.abort();
  }, [resourceId, accountId]);

  const save = submit(
    async () => {
      await api.editAccount(resourceId, accountId, {
        name: name.trim(),
        notes,
        ...(details !== undefined && policy !== details.passwordPolicy ? { passwordPolicy: policy } : {}),
        ...controls,
      });
      onSaved(name.trim());
    },
    () => (name.trim() === '' ? { name: 'Enter the account name' } : {}),
  );

  return (
    <Dialog title={`Edit account ${accountName}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form ?? loadError} />
      {details === undefined ? (
        loadError ? null : (
          <p className="loading" role="status">
            Loading…
          </p>
        )
      ) : (
        <>
          <dl className="details">
            <dt>Owner</dt>
            <dd>{details.owner}</dd>
            <dt>Created</dt>
            <dd>{formatDateTime(details.createdAt)}</dd>
            <dt>Password changed</dt>
            <dd>
              {formatDateTime(details.passwordChangedAt)}
              {details.expired ? ' (expired under its policy)' : ''}
            </dd>
            <dt>Last retrieved</dt>
            <dd>{details.lastAccessedAt === null ? 'Never' : formatDateTime(details.lastAccessedAt)}</dd>
          </dl>
          <form ref={form} noValidate onSubmit={save}>
            <Field
              label="Account name"
              name="name"
              required
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              value={name}
              error={errors.name}
              onChange={(e) => setName(e.target.value)}
            />
            <TextAreaField
              label="Notes"
              name="notes"
              value={notes}
              error={errors.notes}
              onChange={(e) => setNotes(e.target.value)}
            />
            <SelectField
              label="Password policy"
              name="passwordPolicy"
              hint="New passwords of this account must follow it."
              value={policy}
              error={errors.passwordPolicy}
              onChange={(e) => setPolicy(e.target.value)}
            >
              {/* The current one first stays selectable even if the list no longer holds it. */}
              {policies.some((p) => p.name === details.passwordPolicy) ? null : (
                <option value={details.passwordPolicy}>{details.passwordPolicy}</option>
              )}
              {policies.map((p) => (
                <option key={p.id} value={p.name}>
                  {p.name}
                  {p.isDefault ? ' (default)' : ''}
                </option>
              ))}
            </SelectField>
            <ControlsFieldset value={controls} onChange={setControls} />
            <FormButtons busy={busy} label="Save account" busyLabel="Saving…" onCancel={onClose} />
          </form>
        </>
      )}
    </Dialog>
  );
}

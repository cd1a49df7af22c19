import { useCallback, useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type DirectoryUser, type UserGroup } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, focusFirstInvalid, SelectField, TextAreaField } from '../../components/Field';
import { UserPicker } from '../../components/UserPicker';
import { FormAlert } from '../../components/FormAlert';

const FIELD_LABELS: Record<string, string> = {
  name: 'Resource name',
  type: 'Resource type',
  dnsName: 'DNS name',
  description: 'Description',
  department: 'Department',
  location: 'Location',
  accountName: 'Account name',
};

export function fieldLabel(field: string): string {
  return FIELD_LABELS[field] ?? field;
}

export function operatorLabel(operator: string): string {
  return operator.toLowerCase();
}

interface Row {
  readonly key: number;
  readonly field: string;
  readonly operator: string;
  readonly value: string;
}

type GroupErrors = Partial<Record<'name' | 'description' | 'criteria' | 'form', string>> & {
  /** Per criterion (by its index): the value's error. */
  readonly values?: Readonly<Record<number, string>>;
};

/** A static group, or a dynamic one built from criteria (field, operator, value; all or any). */
export function NewResourceGroupDialog({
  fields,
  operators,
  opener,
  onClose,
  onCreated,
}: {
  fields: readonly string[];
  operators: readonly string[];
  opener: HTMLElement | null;
  onClose: () => void;
  onCreated: (name: string) => void;
}) {
  const ids = useId();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [type, setType] = useState<'static' | 'dynamic'>('static');
  const [matchAll, setMatchAll] = useState(true);
  const nextKey = useRef(1);
  const newRow = (): Row => ({
    key: nextKey.current++,
    field: fields[0] ?? 'name',
    operator: operators[0] ?? 'CONTAINS',
    value: '',
  });
  const [rows, setRows] = useState<readonly Row[]>(() => [newRow()]);
  const [errors, setErrors] = useState<GroupErrors>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const focusRow = useRef<number | undefined>(undefined);

  useEffect(() => focusFirstInvalid(form.current), [errors]);
  useEffect(() => {
    if (focusRow.current === undefined) return;
    form.current?.querySelector<HTMLElement>(`[data-criterion="${focusRow.current}"] select`)?.focus();
    focusRow.current = undefined;
  }, [rows]);

  function update(key: number, change: Partial<Row>) {
    setRows((current) => current.map((r) => (r.key === key ? { ...r, ...change } : r)));
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await api.createResourceGroup({
        name: name.trim(),
        ...(description.trim() !== '' ? { description: description.trim() } : {}),
        type,
        matchAll,
        criteria:
          type === 'dynamic'
            ? rows.map((r) => ({ field: r.field, operator: r.operator, value: r.value.trim() }))
            : [],
      });
      onCreated(name.trim());
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message = err instanceof Error ? err.message : String(err);
      const field = err instanceof ApiError ? err.field : undefined;
      const criterion = field ? /^criteria\.(\d+)\.value$/.exec(field) : null;
      if (criterion) setErrors({ values: { [Number(criterion[1])]: message } });
      else if (field === 'name' || field === 'description') setErrors({ [field]: message });
      else if (field?.startsWith('criteria')) setErrors({ criteria: message });
      else setErrors({ form: message });
    }
  }

  return (
    <Dialog title="New resource group" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <Field
          label="Name"
          name="name"
          required
          autoComplete="off"
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextAreaField
          label="Description"
          name="description"
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <fieldset className="choice-group">
          <legend>Type</legend>
          <label>
            <input
              type="radio"
              name={`${ids}-type`}
              checked={type === 'static'}
              onChange={() => setType('static')}
            />
            Static
          </label>
          <label>
            <input
              type="radio"
              name={`${ids}-type`}
              checked={type === 'dynamic'}
              onChange={() => setType('dynamic')}
            />
            Dynamic
          </label>
          <p className="hint">
            A static group holds the resources added to it; a dynamic one the resources matching its criteria,
            evaluated live.
          </p>
        </fieldset>
        {type === 'dynamic' ? (
          <fieldset aria-describedby={errors.criteria ? `${ids}-criteria-error` : undefined}>
            <legend>Criteria</legend>
            <fieldset className="choice-group">
              <legend>Match</legend>
              <label>
                <input
                  type="radio"
                  name={`${ids}-match`}
                  checked={matchAll}
                  onChange={() => setMatchAll(true)}
                />
                Match all
              </label>
              <label>
                <input
                  type="radio"
                  name={`${ids}-match`}
                  checked={!matchAll}
                  onChange={() => setMatchAll(false)}
                />
                Match any
              </label>
            </fieldset>
            <ol className="criteria">
              {rows.map((row, index) => (
                <li key={row.key} className="criterion" data-criterion={row.key}>
                  <SelectField
                    label={`Field ${index + 1}`}
                    value={row.field}
                    onChange={(e) => update(row.key, { field: e.target.value })}
                  >
                    {fields.map((f) => (
                      <option key={f} value={f}>
                        {fieldLabel(f)}
                      </option>
                    ))}
                  </SelectField>
                  <SelectField
                    label={`Operator ${index + 1}`}
                    value={row.operator}
                    onChange={(e) => update(row.key, { operator: e.target.value })}
                  >
                    {operators.map((o) => (
                      <option key={o} value={o}>
                        {operatorLabel(o)}
                      </option>
                    ))}
                  </SelectField>
                  <Field
                    label={`Value ${index + 1}`}
                    autoComplete="off"
                    spellCheck={false}
                    value={row.value}
                    error={errors.values?.[index]}
                    onChange={(e) => update(row.key, { value: e.target.value })}
                  />
                  <button
                    type="button"
                    className="button small"
                    disabled={rows.length === 1}
                    onClick={() => {
                      const next = rows.filter((r) => r.key !== row.key);
                      focusRow.current = (next[index] ?? next[index - 1])?.key;
                      setRows(next);
                    }}
                  >
                    Remove<span className="visually-hidden"> criterion {index + 1}</span>
                  </button>
                </li>
              ))}
            </ol>
            {errors.criteria ? (
              <p id={`${ids}-criteria-error`} className="field-error" role="alert">
                {errors.criteria}
              </p>
            ) : null}
            <button
              type="button"
              className="button small"
              onClick={() => {
                const row = newRow();
                focusRow.current = row.key;
                setRows((current) => [...current, row]);
              }}
            >
              Add criterion
            </button>
          </fieldset>
        ) : null}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** A user group: name and description. */
export function NewUserGroupDialog({
  opener,
  onClose,
  onCreated,
}: {
  opener: HTMLElement | null;
  onClose: () => void;
  onCreated: (name: string) => void;
}) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState<Partial<Record<'name' | 'description' | 'form', string>>>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(form.current), [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await api.createUserGroup({
        name: name.trim(),
        ...(description.trim() !== '' ? { description: description.trim() } : {}),
      });
      onCreated(name.trim());
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message = err instanceof Error ? err.message : String(err);
      const field = err instanceof ApiError ? err.field : undefined;
      setErrors(field === 'name' || field === 'description' ? { [field]: message } : { form: message });
    }
  }

  return (
    <Dialog title="New user group" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <Field
          label="Name"
          name="name"
          required
          autoComplete="off"
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <TextAreaField
          label="Description"
          name="description"
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create group'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** Adds a user (chosen with the user picker) to a user group. */
export function AddMemberDialog({
  group,
  opener,
  onClose,
  onAdded,
}: {
  group: UserGroup;
  opener: HTMLElement | null;
  onClose: () => void;
  onAdded: (message: string) => void;
}) {
  const [user, setUser] = useState<DirectoryUser | undefined>(undefined);
  const [errors, setErrors] = useState<{ user?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  useEffect(() => focusFirstInvalid(form.current), [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!user) {
      setErrors({ user: 'Choose a user from the list' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await api.addUserGroupMember(group.id, user.username);
      onAdded(`${user.username} added to ${group.name}`);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message = err instanceof Error ? err.message : String(err);
      setErrors(err instanceof ApiError && err.field === 'username' ? { user: message } : { form: message });
    }
  }

  return (
    <Dialog title={`Add a member to ${group.name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <UserPicker label="User" value={user} onChange={setUser} error={errors.user} />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Add member
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** A user group's members, each removable (administrators). */
export function MembersDialog({
  group,
  opener,
  onClose,
  onChanged,
}: {
  group: UserGroup;
  opener: HTMLElement | null;
  onClose: () => void;
  onChanged: (message: string) => void;
}) {
  const [members, setMembers] =
    useState<readonly { id: number; username: string; fullName: string | null }[]>();
  const [error, setError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');

  const load = useCallback(async () => {
    try {
      setMembers((await api.userGroupMembers(group.id)).items);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof Error ? err.message : String(err));
    }
  }, [group.id]);
  useEffect(() => {
    void load();
  }, [load]);

  async function remove(member: { id: number; username: string }) {
    try {
      await api.removeUserGroupMember(group.id, member.id);
      setStatus(`${member.username} removed from ${group.name}`);
      onChanged(`${member.username} removed from ${group.name}`);
      await load();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Dialog title={`Members of ${group.name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={error} />
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      {members === undefined ? (
        <p>Loading members…</p>
      ) : members.length === 0 ? (
        <p>This group has no members.</p>
      ) : (
        <ul className="member-list">
          {members.map((m) => (
            <li key={m.id}>
              <span>
                {m.username}
                {m.fullName ? ` (${m.fullName})` : ''}
              </span>{' '}
              <button type="button" className="button small" onClick={() => void remove(m)}>
                Remove<span className="visually-hidden"> {m.username}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <p className="button-row">
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

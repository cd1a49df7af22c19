import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, ROLES } from '../api';
import { copySecret } from '../clipboard';
import { Dialog } from '../components/Dialog';
import { CheckboxField, Field, focusFirstInvalid, SelectField } from '../components/Field';
import { Heading } from '../components/Heading';
import { navigate } from '../router';
import { flashUsers } from './Users';
import { FormAlert } from '../components/FormAlert';

const FIELDS = ['username', 'fullName', 'email', 'role', 'password'] as const;
type FieldName = (typeof FIELDS)[number];

const EMPTY: Record<FieldName, string> = { username: '', fullName: '', email: '', role: '', password: '' };

/** A new user; an API user's key is shown once, in a dialog, and kept nowhere. */
export function NewUser({ clipboardClearSeconds }: { clipboardClearSeconds: number }) {
  const [values, setValues] = useState(EMPTY);
  const [apiUser, setApiUser] = useState(false);
  const [errors, setErrors] = useState<Partial<Record<FieldName | 'form', string>>>({});
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<{ username: string; key: string } | undefined>(undefined);
  const form = useRef<HTMLFormElement>(null);
  const submitRef = useRef<HTMLButtonElement>(null);

  useEffect(() => focusFirstInvalid(form.current), [errors]);

  function bind(field: FieldName) {
    return {
      name: field,
      value: values[field],
      error: errors[field],
      onChange: (event: { target: { value: string } }) =>
        setValues((v) => ({ ...v, [field]: event.target.value })),
    };
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.createUser({
        username: values.username.trim(),
        fullName: values.fullName.trim(),
        email: values.email.trim(),
        role: values.role,
        apiUser,
        ...(apiUser ? {} : { password: values.password }),
      });
      if (answer.authToken) {
        setCreated({ username: answer.username, key: answer.authToken });
      } else {
        flashUsers(`User ${answer.username} created`);
        navigate({ name: 'users' });
      }
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const field = err instanceof ApiError ? FIELDS.find((f) => f === err.field) : undefined;
      const message = err instanceof Error ? err.message : String(err);
      setErrors(field ? { [field]: message } : { form: message });
    }
  }

  return (
    <>
      <p className="breadcrumb">
        <a href="#/users">Users</a>
      </p>
      <Heading title="New user">New user</Heading>
      <FormAlert message={errors.form} />
      <form ref={form} className="resource-form" noValidate onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>User</legend>
          <Field
            label="User name"
            required
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...bind('username')}
          />
          <Field label="Full name" autoComplete="off" {...bind('fullName')} />
          <Field
            label="Email"
            type="email"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...bind('email')}
          />
          <SelectField label="Role" required {...bind('role')}>
            <option value="">Choose a role</option>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </SelectField>
          <CheckboxField
            label="API user"
            hint="For scripts and integrations: signs in with an API key instead of a password."
            checked={apiUser}
            onChange={(e) => setApiUser(e.target.checked)}
          />
          {apiUser ? null : (
            <Field
              label="Password"
              type="password"
              required
              autoComplete="new-password"
              hint="The user signs in with it, then sets up two-step verification."
              {...bind('password')}
            />
          )}
        </fieldset>
        <p className="button-row">
          <button ref={submitRef} type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Create user'}
          </button>
          <a className="button" href="#/users">
            Cancel
          </a>
        </p>
      </form>
      {created ? (
        <ApiKeyDialog
          username={created.username}
          apiKey={created.key}
          clipboardClearSeconds={clipboardClearSeconds}
          opener={submitRef.current}
          onDone={() => {
            setCreated(undefined);
            flashUsers(`API user ${created.username} created`);
            navigate({ name: 'users' });
          }}
        />
      ) : null}
    </>
  );
}

function ApiKeyDialog({
  username,
  apiKey,
  clipboardClearSeconds,
  opener,
  onDone,
}: {
  username: string;
  apiKey: string;
  clipboardClearSeconds: number;
  opener: HTMLElement | null;
  onDone: () => void;
}) {
  const [status, setStatus] = useState('');
  async function copy() {
    try {
      await copySecret(apiKey, clipboardClearSeconds);
      setStatus(`API key copied; the clipboard is cleared in ${clipboardClearSeconds} seconds`);
    } catch {
      setStatus('The browser did not allow copying: select the key and copy it yourself.');
    }
  }
  return (
    <Dialog title={`API key of ${username}`} onClose={onDone} returnFocusTo={opener}>
      <p className="alert alert-warning">
        <strong>This key is shown only now.</strong> Copy it into the integration that uses it: it is not
        stored in the console and cannot be shown again.
      </p>
      <p>
        <code className="revealed-password" data-testid="api-key">
          {apiKey}
        </code>
      </p>
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      <p className="button-row">
        <button type="button" className="button primary" onClick={() => void copy()}>
          Copy API key
        </button>
        <button type="button" className="button" onClick={onDone}>
          Done
        </button>
      </p>
    </Dialog>
  );
}

import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api';
import { Field, focusFirstInvalid, TextAreaField } from '../components/Field';
import { Heading } from '../components/Heading';
import { navigate } from '../router';
import { FormAlert } from '../components/FormAlert';

const FIELDS = ['name', 'type', 'dnsName', 'description', 'url', 'accountName', 'password'] as const;
type FieldName = (typeof FIELDS)[number];
type Values = Record<FieldName, string>;

/** The API names the field at fault (`accounts.0.password`); the form's own names for them. */
function formField(apiField: string | undefined): FieldName | undefined {
  if (apiField === 'accounts.0.name' || apiField === 'accounts.0.accountName') return 'accountName';
  if (apiField === 'accounts.0.password' || apiField === 'password') return 'password';
  return FIELDS.find((f) => f === apiField);
}

const EMPTY: Values = {
  name: '',
  type: '',
  dnsName: '',
  description: '',
  url: '',
  accountName: '',
  password: '',
};

export function NewResource() {
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<FieldName | 'form', string>>>({});
  const [types, setTypes] = useState<readonly string[]>([]);
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const typesId = useId();

  useEffect(() => {
    api.resourceTypes().then(
      (answer) => setTypes(answer.items),
      () => setTypes([]),
    );
  }, []);

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
    const withAccount = values.accountName !== '' || values.password !== '';
    try {
      const created = await api.createResource({
        name: values.name.trim(),
        type: values.type.trim(),
        dnsName: values.dnsName.trim(),
        description: values.description,
        url: values.url.trim(),
        ...(withAccount
          ? { accounts: [{ name: values.accountName.trim(), password: values.password }] }
          : {}),
      });
      navigate({ name: 'resource', id: created.id });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const field = err instanceof ApiError ? formField(err.field) : undefined;
      const message = err instanceof Error ? err.message : String(err);
      setErrors(field ? { [field]: message } : { form: message });
    }
  }

  return (
    <>
      <Heading title="New resource">New resource</Heading>
      <p>
        <a href="#/resources">Back to the resources</a>
      </p>
      <FormAlert message={errors.form} />
      <form ref={form} className="resource-form" noValidate onSubmit={(e) => void submit(e)}>
        <fieldset>
          <legend>Resource</legend>
          <Field label="Name" required autoComplete="off" spellCheck={false} {...bind('name')} />
          <Field
            label="Type"
            required
            list={`${typesId}-types`}
            autoComplete="off"
            hint="Choose a type or type a new one."
            {...bind('type')}
          />
          <datalist id={`${typesId}-types`}>
            {types.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
          <Field
            label="DNS name"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            hint="The host name or IP address."
            {...bind('dnsName')}
          />
          <TextAreaField label="Description" {...bind('description')} />
          <Field
            label="URL"
            type="url"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...bind('url')}
          />
        </fieldset>
        <fieldset>
          <legend>First account</legend>
          <Field
            label="Account name"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            {...bind('accountName')}
          />
          <Field label="Password" type="password" autoComplete="new-password" {...bind('password')} />
        </fieldset>
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save resource'}
          </button>
          <a className="button" href="#/resources">
            Cancel
          </a>
        </p>
      </form>
    </>
  );
}

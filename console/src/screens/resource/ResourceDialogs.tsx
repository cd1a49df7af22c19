import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type ResourceDetails } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, focusFirstInvalid, TextAreaField } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';

const EDIT_FIELDS = ['name', 'type', 'dnsName', 'description', 'url'] as const;
type EditField = (typeof EDIT_FIELDS)[number];

/** Name, type, DNS name, description and URL of a resource (an empty text clears it). */
export function EditResourceDialog({
  resource,
  opener,
  onClose,
  onSaved,
}: {
  resource: ResourceDetails;
  opener: HTMLElement | null;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const [values, setValues] = useState<Record<EditField, string>>({
    name: resource.name,
    type: resource.type,
    dnsName: resource.dnsName ?? '',
    description: resource.description ?? '',
    url: resource.url ?? '',
  });
  const [errors, setErrors] = useState<Partial<Record<EditField | 'form', string>>>({});
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

  function bind(field: EditField) {
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
      await api.editResource(resource.id, {
        name: values.name.trim(),
        type: values.type.trim(),
        dnsName: values.dnsName.trim(),
        description: values.description,
        url: values.url.trim(),
      });
      onSaved(values.name.trim());
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message = err instanceof Error ? err.message : String(err);
      const field = EDIT_FIELDS.find((f) => err instanceof ApiError && err.field === f);
      setErrors(field ? { [field]: message } : { form: message });
    }
  }

  return (
    <Dialog title={`Edit ${resource.name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <Field label="Name" required autoComplete="off" spellCheck={false} {...bind('name')} />
        <Field
          label="Type"
          required
          list={`${typesId}-types`}
          autoComplete="off"
          hint="One of the known resource types."
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
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

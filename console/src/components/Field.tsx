import {
  useId,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from 'react';

interface Common {
  readonly label: string;
  readonly hint?: string | undefined;
  readonly error?: string | undefined;
}

/**
 * The frame of a labelled control: its label, hint and error. The error is announced through
 * aria-describedby and marks the control aria-invalid; the control keeps what was typed.
 */
function FieldFrame({
  label,
  hint,
  error,
  required,
  render,
}: Common & {
  readonly required: boolean | undefined;
  readonly render: (a11y: {
    id: string;
    'aria-invalid': true | undefined;
    'aria-describedby': string | undefined;
  }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter((s) => s !== '').join(' ');
  return (
    <div className={error ? 'field field-invalid' : 'field'}>
      <div className="label-row">
        <label htmlFor={id}>{label}</label>
        {/* Outside the label, so the accessible name is the label alone; `required` tells assistive technology. */}
        {required ? (
          <span className="required-mark" aria-hidden="true">
            required
          </span>
        ) : null}
      </div>
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {render({ id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy || undefined })}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}

export function Field({
  label,
  hint,
  error,
  ...input
}: Common & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      required={input.required}
      render={(a11y) => <input {...input} {...a11y} />}
    />
  );
}

export function TextAreaField({
  label,
  hint,
  error,
  ...textarea
}: Common & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'>) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      required={textarea.required}
      render={(a11y) => <textarea rows={3} {...textarea} {...a11y} />}
    />
  );
}

export function SelectField({
  label,
  hint,
  error,
  children,
  ...select
}: Common & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'>) {
  return (
    <FieldFrame
      label={label}
      hint={hint}
      error={error}
      required={select.required}
      render={(a11y) => (
        <select {...select} {...a11y}>
          {children}
        </select>
      )}
    />
  );
}

/** A checkbox with its label beside it (and an optional hint below). */
export function CheckboxField({
  label,
  hint,
  ...input
}: { readonly label: string; readonly hint?: string } & Omit<
  InputHTMLAttributes<HTMLInputElement>,
  'id' | 'type'
>) {
  const id = useId();
  return (
    <div className="field checkbox-field">
      <input type="checkbox" id={id} aria-describedby={hint ? `${id}-hint` : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** Moves the focus to the first control marked invalid inside `container`. */
export function focusFirstInvalid(container: HTMLElement | null): void {
  container?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}

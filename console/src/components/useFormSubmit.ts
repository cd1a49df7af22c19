import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import { focusFirstInvalid } from './Field';

/** A form's errors: one per field it shows, and `form` for the rest (shown in its alert region). */
export type FormErrors<F extends string> = Partial<Record<F | 'form', string>>;

/**
 * The plumbing every console form shares: its errors, a busy flag while the request runs, the
 * focus moved to the first invalid field after each answer, and the server's refusal mapped to
 * the field it names (`ApiError.field`) when the form shows that field, else to the form.
 * A 401 is left to the session handler (it takes the user back to the sign-in screen).
 *
 * Usage: `const { form, errors, busy, submit } = useFormSubmit(['name', 'password'])`, then
 * `<form ref={form} noValidate onSubmit={submit(async () => { ... })}>`; `validate` returns the
 * errors found before anything is sent.
 */
export function useFormSubmit<F extends string>(fields: readonly F[]) {
  const [errors, setErrors] = useState<FormErrors<F>>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const shown = useRef(fields);
  shown.current = fields;

  useEffect(() => focusFirstInvalid(form.current), [errors]);

  const run = useCallback(async (work: () => Promise<void>, validate?: () => FormErrors<F>) => {
    const found = validate?.() ?? {};
    if (Object.keys(found).length > 0) {
      setErrors(found);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await work();
      setBusy(false);
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message = err instanceof Error ? err.message : String(err);
      const field = err instanceof ApiError ? err.field : undefined;
      const known = field !== undefined && (shown.current as readonly string[]).includes(field);
      setErrors((known ? { [field]: message } : { form: message }) as FormErrors<F>);
    }
  }, []);

  /** An onSubmit handler: prevents the browser's submission and runs `work` as above. */
  const submit = useCallback(
    (work: () => Promise<void>, validate?: () => FormErrors<F>) => (event: FormEvent) => {
      event.preventDefault();
      void run(work, validate);
    },
    [run],
  );

  return { form, errors, setErrors, busy, run, submit };
}

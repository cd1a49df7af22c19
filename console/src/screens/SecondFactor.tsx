import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type Enrolment, type SecondFactorAnswer } from '../api';
import { Field, focusFirstInvalid } from '../components/Field';
import { Heading } from '../components/Heading';
import { FormAlert } from '../components/FormAlert';

/** The secret in groups of four, easier to type into an authenticator app (which ignores the spaces). */
function grouped(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

export function SecondFactor({
  enrolment,
  onAnswer,
  onCancel,
}: {
  enrolment: Enrolment | undefined;
  onAnswer: (answer: SecondFactorAnswer) => void;
  onCancel: () => void;
}) {
  const [code, setCode] = useState('');
  const [errors, setErrors] = useState<{ code?: string; form?: string }>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => focusFirstInvalid(form.current), [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const value = code.trim();
    if (value === '') {
      setErrors({ code: 'Enter the code from your authenticator app, or a recovery code.' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      onAnswer(await api.secondFactor(value));
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.field === 'code') setErrors({ code: err.message });
      else if (!(err instanceof ApiError && err.status === 401))
        setErrors({ form: err instanceof Error ? err.message : String(err) });
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          Bulwark
        </p>
        {enrolment ? (
          <>
            <Heading title="Set up two-step verification">Set up two-step verification</Heading>
            <p>
              Scan this QR code with your authenticator app, or type the secret key into it. Then enter the
              6-digit code the app shows.
            </p>
            <img
              className="qr"
              alt="QR code for your authenticator app"
              src={`data:image/svg+xml;utf8,${encodeURIComponent(enrolment.qrSvg)}`}
              width={200}
              height={200}
            />
            <p className="secret">
              Secret key:{' '}
              <code data-testid="totp-secret" data-secret={enrolment.secret}>
                {grouped(enrolment.secret)}
              </code>
            </p>
          </>
        ) : (
          <>
            <Heading title="Two-step verification">Two-step verification</Heading>
            <p>Enter the 6-digit code from your authenticator app.</p>
          </>
        )}
        <FormAlert message={errors.form} />
        <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
          <Field
            label="Code"
            name="code"
            hint="The 6-digit code from your authenticator app. A recovery code (xxxxx-xxxxx) also works here."
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            value={code}
            error={errors.code}
            onChange={(e) => setCode(e.target.value)}
          />
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Verifying…' : 'Verify'}
          </button>
        </form>
        <p className="secondary-action">
          <button type="button" className="link-button" onClick={onCancel}>
            Back to sign in
          </button>
        </p>
      </div>
    </main>
  );
}

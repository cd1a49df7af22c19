import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type LoginAnswer } from '../api';
import { Field, focusFirstInvalid } from '../components/Field';
import { Heading } from '../components/Heading';
import { FormAlert } from '../components/FormAlert';

type Errors = Partial<Record<'username' | 'password' | 'form', string>>;

export function Login({ notice, onAnswer }: { notice?: string; onAnswer: (answer: LoginAnswer) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => focusFirstInvalid(form.current), [errors]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const missing: Errors = {};
    if (username.trim() === '') missing.username = 'Enter your user name.';
    if (password === '') missing.password = 'Enter your password.';
    if (missing.username || missing.password) {
      setErrors(missing);
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      const answer = await api.login(username.trim(), password);
      setPassword('');
      onAnswer(answer);
    } catch (err) {
      setBusy(false);
      setPassword('');
      if (err instanceof ApiError && (err.field === 'username' || err.field === 'password')) {
        setErrors({ [err.field]: err.message });
      } else {
        setErrors({ form: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <p className="brand" aria-hidden="true">
          Bulwark
        </p>
        <Heading title="Sign in">Sign in to Bulwark</Heading>
        {notice ? (
          <p className="notice" role="status">
            {notice}
          </p>
        ) : null}
        <FormAlert message={errors.form} />
        <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
          <Field
            label="User name"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            error={errors.username}
            onChange={(e) => setUsername(e.target.value)}
          />
          <Field
            label="Password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            error={errors.password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <button type="submit" className="button primary wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}

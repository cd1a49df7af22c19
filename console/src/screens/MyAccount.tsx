import { useState } from 'react';
import { api, type Session } from '../api';
import { Field } from '../components/Field';
import { Heading } from '../components/Heading';
import { useFormSubmit } from '../components/useFormSubmit';
import { FormAlert } from '../components/FormAlert';

type PasswordField = 'currentPassword' | 'newPassword' | 'confirmation';
const FIELDS: readonly PasswordField[] = ['currentPassword', 'newPassword', 'confirmation'];

/** The signed-in user's own account: who they are, and changing their sign-in password. */
export function MyAccount({ session }: { session: Session }) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [confirmation, setConfirmation] = useState('');
  const [result, setResult] = useState('');
  const { form, errors, busy, submit } = useFormSubmit(FIELDS);

  function validate() {
    const found: Partial<Record<PasswordField, string>> = {};
    if (currentPassword === '') found.currentPassword = 'Enter your current password';
    if (newPassword === '') found.newPassword = 'Enter the new password';
    else if (confirmation !== newPassword)
      found.confirmation = 'The confirmation does not match the new password';
    return found;
  }

  async function change() {
    setResult('');
    const answer = await api.changeOwnPassword({ currentPassword, newPassword, confirmation });
    setCurrentPassword('');
    setNewPassword('');
    setConfirmation('');
    setResult(
      answer.otherSessionsEnded > 0
        ? `Your password was changed. ${answer.otherSessionsEnded} other session${answer.otherSessionsEnded === 1 ? '' : 's'} ended.`
        : 'Your password was changed.',
    );
  }

  return (
    <>
      <Heading title="My account">My account</Heading>
      <dl className="details">
        <dt>User name</dt>
        <dd>{session.user.username}</dd>
        <dt>Role</dt>
        <dd>{session.user.role}</dd>
      </dl>
      <h2 className="section-heading">Change your password</h2>
      <p className="hint">
        The new password must follow your password policy. Your other signed-in sessions end; this one stays.
      </p>
      <p role="status" className={result ? 'alert' : 'alert-empty'}>
        {result}
      </p>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={submit(change, validate)}>
        <Field
          label="Current password"
          name="currentPassword"
          type="password"
          required
          autoComplete="current-password"
          value={currentPassword}
          error={errors.currentPassword}
          onChange={(e) => setCurrentPassword(e.target.value)}
        />
        <Field
          label="New password"
          name="newPassword"
          type="password"
          required
          autoComplete="new-password"
          value={newPassword}
          error={errors.newPassword}
          onChange={(e) => setNewPassword(e.target.value)}
        />
        <Field
          label="Confirm the new password"
          name="confirmation"
          type="password"
          required
          autoComplete="new-password"
          value={confirmation}
          error={errors.confirmation}
          onChange={(e) => setConfirmation(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Changing…' : 'Change password'}
          </button>
        </p>
      </form>
    </>
  );
}

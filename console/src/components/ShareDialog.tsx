import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type DirectoryUser, type SharePermission } from '../api';
import { Dialog } from './Dialog';
import { focusFirstInvalid, SelectField } from './Field';
import { UserPicker } from './UserPicker';

const PERMISSIONS: readonly { readonly value: SharePermission; readonly label: string }[] = [
  { value: 'view', label: 'View' },
  { value: 'modify', label: 'Modify' },
  { value: 'full', label: 'Full access' },
  { value: 'revoke', label: 'Revoke' },
];

export function permissionLabel(permission: SharePermission): string {
  return PERMISSIONS.find((p) => p.value === permission)?.label ?? permission;
}

/**
 * Share a resource with a user (or revoke a share). The server decides whether the caller may
 * share it at all: a refusal (403/404) is shown in the dialog.
 */
export function ShareDialog({
  resourceId,
  resourceName,
  opener,
  onClose,
  onShared,
}: {
  resourceId: number;
  resourceName: string;
  opener: HTMLElement | null;
  onClose: () => void;
  onShared: (message: string) => void;
}) {
  const [user, setUser] = useState<DirectoryUser | undefined>(undefined);
  const [permission, setPermission] = useState<SharePermission>('view');
  const [errors, setErrors] = useState<{ user?: string; permission?: string; form?: string }>({});
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
      await api.share({ resourceId, grantee: { kind: 'user', id: user.id }, permission });
      onShared(
        permission === 'revoke'
          ? `The share of ${resourceName} with ${user.username} was revoked`
          : `${resourceName} is shared with ${user.username} (${permissionLabel(permission)})`,
      );
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message =
        err instanceof ApiError && (err.status === 403 || err.status === 404)
          ? `You cannot share this resource: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
      const field = err instanceof ApiError ? err.field : undefined;
      setErrors(
        field === 'permission'
          ? { permission: message }
          : field?.startsWith('grantee')
            ? { user: message }
            : { form: message },
      );
    }
  }

  return (
    <Dialog title={`Share ${resourceName}`} onClose={onClose} returnFocusTo={opener}>
      <div role="alert" className={errors.form ? 'alert alert-error' : 'alert-empty'}>
        {errors.form}
      </div>
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <UserPicker
          label="User"
          value={user}
          onChange={(picked) => {
            setUser(picked);
            if (picked && errors.user) setErrors(({ user: _, ...rest }) => rest);
          }}
          error={errors.user}
        />
        <SelectField
          label="Permission"
          name="permission"
          value={permission}
          error={errors.permission}
          hint="Revoke removes the user's share."
          onChange={(e) => setPermission(e.target.value as SharePermission)}
        >
          {PERMISSIONS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
        </SelectField>
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Share
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

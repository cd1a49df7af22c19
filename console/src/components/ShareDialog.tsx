import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type DirectoryUser, type SharePermission, type UserGroup } from '../api';
import { Dialog } from './Dialog';
import { focusFirstInvalid, SelectField } from './Field';
import { UserPicker } from './UserPicker';
import { FormAlert } from './FormAlert';

const PERMISSIONS: readonly { readonly value: SharePermission; readonly label: string }[] = [
  { value: 'view', label: 'View' },
  { value: 'modify', label: 'Modify' },
  { value: 'full', label: 'Full access' },
  { value: 'revoke', label: 'Revoke' },
];

export function permissionLabel(permission: SharePermission): string {
  return PERMISSIONS.find((p) => p.value === permission)?.label ?? permission;
}

/** Who a share names: the picked user or group, by id and by name (routes take one or the other). */
export interface ShareGrantee {
  readonly kind: 'user' | 'group';
  readonly id: number;
  readonly name: string;
}

/**
 * Share a resource, an SSH key, a certificate or a certificate group with a user or a user group (or revoke
 * a share): `share` sends it to the object's route. The server decides whether the caller may
 * share it at all and at which level: a refusal (403/404) is shown in the dialog.
 */
export function ShareDialog({
  resourceName,
  noun = 'resource',
  share,
  opener,
  onClose,
  onShared,
}: {
  resourceName: string;
  /** What is shared, for the refusal's words ("You cannot share this certificate"). */
  noun?: string;
  share: (grantee: ShareGrantee, permission: SharePermission) => Promise<unknown>;
  opener: HTMLElement | null;
  onClose: () => void;
  onShared: (message: string) => void;
}) {
  const [kind, setKind] = useState<'user' | 'group'>('user');
  const [user, setUser] = useState<DirectoryUser | undefined>(undefined);
  const [groups, setGroups] = useState<readonly UserGroup[] | undefined>(undefined);
  const [groupId, setGroupId] = useState('');
  const [permission, setPermission] = useState<SharePermission>('view');
  const [errors, setErrors] = useState<{ user?: string; group?: string; permission?: string; form?: string }>(
    {},
  );
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const kindName = useId();

  useEffect(() => focusFirstInvalid(form.current), [errors]);

  // The dialog opens on the user picker (the usual choice), not on the User / User group radios.
  useEffect(() => {
    form.current?.querySelector<HTMLElement>('[role="combobox"]')?.focus();
  }, []);

  // The user groups, when sharing with a group is chosen (once).
  useEffect(() => {
    if (kind !== 'group' || groups !== undefined) return;
    api.userGroups().then(
      (answer) => setGroups(answer.items),
      (err: unknown) => {
        setGroups([]);
        if (!(err instanceof ApiError && err.status === 401))
          setErrors({ form: err instanceof Error ? err.message : String(err) });
      },
    );
  }, [kind, groups]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const group = groups?.find((g) => String(g.id) === groupId);
    let grantee: ShareGrantee;
    let granteeName: string;
    if (kind === 'user') {
      if (!user) {
        setErrors({ user: 'Choose a user from the list' });
        return;
      }
      grantee = { kind, id: user.id, name: user.username };
      granteeName = user.username;
    } else {
      if (!group) {
        setErrors({ group: 'Choose a user group' });
        return;
      }
      grantee = { kind, id: group.id, name: group.name };
      granteeName = `the group ${group.name}`;
    }
    setBusy(true);
    setErrors({});
    try {
      await share(grantee, permission);
      onShared(
        permission === 'revoke'
          ? `The share of ${resourceName} with ${granteeName} was revoked`
          : `${resourceName} is shared with ${granteeName} (${permissionLabel(permission)})`,
      );
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 401) return;
      const message =
        err instanceof ApiError && (err.status === 403 || err.status === 404)
          ? `You cannot share this ${noun}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
      const field = err instanceof ApiError ? err.field : undefined;
      setErrors(
        field === 'permission'
          ? { permission: message }
          : field?.startsWith('grantee')
            ? { [kind]: message }
            : { form: message },
      );
    }
  }

  return (
    <Dialog title={`Share ${resourceName}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form ref={form} noValidate onSubmit={(e) => void submit(e)}>
        <fieldset className="choice-group">
          <legend>Share with</legend>
          {(['user', 'group'] as const).map((value) => (
            <label key={value}>
              <input
                type="radio"
                name={kindName}
                value={value}
                checked={kind === value}
                onChange={() => {
                  setKind(value);
                  setErrors({});
                }}
              />
              {value === 'user' ? 'User' : 'User group'}
            </label>
          ))}
        </fieldset>
        {kind === 'user' ? (
          <UserPicker
            label="User"
            value={user}
            onChange={(picked) => {
              setUser(picked);
              if (picked && errors.user) setErrors(({ user: _, ...rest }) => rest);
            }}
            error={errors.user}
          />
        ) : (
          <SelectField
            label="User group"
            name="group"
            value={groupId}
            error={errors.group}
            hint={groups !== undefined && groups.length === 0 ? 'There are no user groups yet.' : undefined}
            onChange={(e) => setGroupId(e.target.value)}
          >
            <option value="">{groups === undefined ? 'Loading…' : 'Choose a group'}</option>
            {(groups ?? []).map((g) => (
              <option key={g.id} value={String(g.id)}>
                {g.name} ({g.members === 1 ? '1 member' : `${g.members} members`})
              </option>
            ))}
          </SelectField>
        )}
        <SelectField
          label="Permission"
          name="permission"
          value={permission}
          error={errors.permission}
          hint={kind === 'user' ? "Revoke removes the user's share." : "Revoke removes the group's share."}
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

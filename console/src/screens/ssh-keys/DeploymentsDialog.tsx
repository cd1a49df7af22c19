import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type KeyDeployment, type ResourceSummary, type SshKey } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';
import { ResourcePicker } from '../../components/ResourcePicker';
import { TableWrap } from '../../components/TableWrap';
import { useFormSubmit } from '../../components/useFormSubmit';
import { formatDateTime } from '../../time';

interface Common {
  readonly opener: HTMLElement | null;
  readonly onClose: () => void;
}

/**
 * Where a key is associated (resource, account, by whom, when), associate it with an account of a
 * resource and dissociate it: the server logs in to the host over the resource's remote reset
 * configuration, so an answer can take a while; a failure shows the server's reason.
 */
export function DeploymentsDialog({ sshKey, opener, onClose }: Common & { sshKey: SshKey }) {
  const [items, setItems] = useState<readonly KeyDeployment[] | undefined>(undefined);
  const [loadError, setLoadError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [resource, setResource] = useState<ResourceSummary | undefined>(undefined);
  const [userName, setUserName] = useState('');
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const { form, errors, setErrors, busy, submit } = useFormSubmit(['resourceName', 'userName']);

  const load = useCallback(async () => {
    try {
      setItems((await api.keyDeployments(sshKey.id)).items);
      setLoadError(undefined);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setLoadError(err instanceof Error ? err.message : String(err));
    }
  }, [sshKey.id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function dissociate(d: KeyDeployment) {
    const slot = `${d.resourceName}\u0000${d.userName}`;
    setRemoving(slot);
    setErrors({});
    try {
      const done = await api.dissociateSshKey(sshKey.id, {
        resourceName: d.resourceName,
        userName: d.userName,
      });
      const text =
        `${sshKey.name} dissociated from ${d.userName} on ${d.resourceName}` +
        (done.removed === 0 ? ' (it was not on the host; the record is removed)' : '');
      setStatus(text);
      await load();
      window.setTimeout(() => document.getElementById('deployments-heading')?.focus(), 0);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setErrors({ form: err instanceof Error ? err.message : String(err) });
    } finally {
      setRemoving(undefined);
    }
  }

  return (
    <Dialog title={`Deployments of ${sshKey.name}`} onClose={onClose} returnFocusTo={opener}>
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      <FormAlert message={errors.form ?? loadError} />
      <h3 id="deployments-heading" tabIndex={-1}>
        Associated accounts
      </h3>
      {!items ? (
        <p className="loading">Loading…</p>
      ) : items.length === 0 ? (
        <p>The key is not associated with any account.</p>
      ) : (
        <TableWrap label="Associated accounts">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Resource</th>
                <th scope="col">Account</th>
                <th scope="col">Associated</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((d) => (
                <tr key={`${d.resourceName}\u0000${d.userName}`}>
                  <td>{d.resourceName}</td>
                  <th scope="row">{d.userName}</th>
                  <td>
                    {formatDateTime(d.deployedAt)}
                    <span className="cell-detail">by {d.deployedBy}</span>
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button small"
                      disabled={removing !== undefined || busy}
                      onClick={() => void dissociate(d)}
                    >
                      Dissociate
                      <span className="visually-hidden">
                        {' '}
                        from {d.userName} on {d.resourceName}
                      </span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h3>Associate with an account</h3>
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            if (!resource) return;
            const done = await api.associateSshKey(sshKey.id, {
              resourceName: resource.name,
              userName: userName.trim(),
            });
            const text =
              `${sshKey.name} associated with ${done.userName} on ${done.resourceName}` +
              (done.outcome === 'present' ? ' (its line was already in authorized_keys)' : '');
            setStatus(text);
            setUserName('');
            await load();
          },
          () => ({
            ...(!resource ? { resourceName: 'Choose a resource from the list' } : {}),
            ...(userName.trim() === '' ? { userName: 'Enter the account on the host' } : {}),
          }),
        )}
      >
        <ResourcePicker
          label="Resource"
          value={resource}
          error={errors.resourceName}
          onChange={(picked) => {
            setResource(picked);
            if (picked && errors.resourceName) setErrors(({ resourceName: _, ...rest }) => rest);
          }}
        />
        <Field
          label="Account"
          name="userName"
          required
          autoComplete="off"
          hint="The user on the host whose authorized_keys receives the key"
          value={userName}
          error={errors.userName}
          onChange={(e) => setUserName(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy || removing !== undefined}>
            {busy ? 'Associating…' : 'Associate'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

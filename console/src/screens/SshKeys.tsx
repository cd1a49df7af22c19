import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type SshKey, type SshKeys as SshKeyList } from '../api';
import { CheckboxField } from '../components/Field';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ShareDialog } from '../components/ShareDialog';
import { Heading } from '../components/Heading';
import { TableWrap } from '../components/TableWrap';
import { saveFile } from '../download';
import { formatDateTime } from '../time';
import { DeploymentsDialog } from './ssh-keys/DeploymentsDialog';
import { KeyDiscoveryDialog } from './ssh-keys/KeyDiscoveryDialog';
import { RotationsDialog } from './ssh-keys/RotationsDialog';
import { ImportKeyDialog, NewKeyDialog, TYPE_NAMES } from './ssh-keys/KeyDialogs';

type Open =
  | { readonly kind: 'new' | 'import' | 'discover'; readonly opener: HTMLElement | null }
  | {
      readonly kind: 'delete' | 'deployments' | 'share' | 'rotations';
      readonly key: SshKey;
      readonly opener: HTMLElement | null;
    };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The SSH keys the user may see: create, import, export (audited), delete, where each is deployed,
 * sharing, rotations, and discovery of the keys on resources.
 */
export function SshKeys() {
  const [keys, setKeys] = useState<SshKeyList | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [withoutDissociation, setWithoutDissociation] = useState(false);
  const [exporting, setExporting] = useState<number | undefined>(undefined);

  const load = useCallback(async (focusAfter?: string) => {
    try {
      setKeys(await api.sshKeys());
      setError(undefined);
      if (focusAfter) window.setTimeout(() => document.getElementById(focusAfter)?.focus(), 0);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(message(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  function changed(text: string, focusAfter?: string) {
    setOpen(undefined);
    setAnnouncement(text);
    void load(focusAfter);
  }

  async function exportKey(key: SshKey) {
    setExporting(key.id);
    setError(undefined);
    try {
      const file = await api.exportSshKey(key.id, key.name);
      saveFile(file);
      setAnnouncement(`The private key of ${key.name} is downloaded as ${file.fileName}`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(message(err));
    } finally {
      setExporting(undefined);
    }
  }

  return (
    <>
      <div className="page-title-row">
        <Heading title="SSH keys">SSH keys</Heading>
        <span className="button-row">
          <button
            type="button"
            className="button primary"
            disabled={!keys}
            onClick={(e) => setOpen({ kind: 'new', opener: e.currentTarget })}
          >
            New SSH key
          </button>
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'import', opener: e.currentTarget })}
          >
            Import key
          </button>
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'discover', opener: e.currentTarget })}
          >
            Discover keys
          </button>
        </span>
      </div>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      <h2 id="ssh-keys-heading" className="visually-hidden" tabIndex={-1}>
        Keys
      </h2>
      {!keys ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : keys.items.length === 0 ? (
        <p>You have no SSH keys yet. Create one, or import a private key you have.</p>
      ) : (
        <TableWrap label="SSH keys">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Length</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Passphrase</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.items.map((k) => (
                <tr key={k.id}>
                  <th scope="row">
                    {k.name}
                    {k.comment ? <span className="cell-detail">{k.comment}</span> : null}
                  </th>
                  <td>{TYPE_NAMES[k.type]}</td>
                  <td>{k.bits} bits</td>
                  <td>
                    <code className="fingerprint">{k.fingerprint}</code>
                  </td>
                  <td>{k.hasPassphrase ? 'Yes' : 'No'}</td>
                  <td>
                    {formatDateTime(k.createdAt)}
                    <span className="cell-detail">
                      {k.origin === 'imported' ? 'Imported' : 'Created'} by {k.createdBy}
                    </span>
                  </td>
                  <td>
                    <span className="button-row">
                      <button
                        type="button"
                        className="button small"
                        disabled={exporting === k.id}
                        onClick={() => void exportKey(k)}
                      >
                        Export<span className="visually-hidden"> the private key of {k.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'deployments', key: k, opener: e.currentTarget })}
                      >
                        Deployments<span className="visually-hidden"> of {k.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'rotations', key: k, opener: e.currentTarget })}
                      >
                        Rotations<span className="visually-hidden"> of {k.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'share', key: k, opener: e.currentTarget })}
                      >
                        Share<span className="visually-hidden"> {k.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => {
                          setWithoutDissociation(false);
                          setOpen({ kind: 'delete', key: k, opener: e.currentTarget });
                        }}
                      >
                        Delete<span className="visually-hidden"> {k.name}</span>
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      {open?.kind === 'new' && keys ? (
        <NewKeyDialog
          types={keys.types}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onCreated={(key) => changed(`SSH key ${key.name} created (${key.fingerprint})`)}
        />
      ) : null}
      {open?.kind === 'import' ? (
        <ImportKeyDialog
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onImported={(key) => changed(`SSH key ${key.name} imported (${key.fingerprint})`)}
        />
      ) : null}
      {open?.kind === 'deployments' ? (
        <DeploymentsDialog sshKey={open.key} opener={open.opener} onClose={() => setOpen(undefined)} />
      ) : null}
      {open?.kind === 'discover' ? (
        <KeyDiscoveryDialog
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onImported={() => void load()}
        />
      ) : null}
      {open?.kind === 'rotations' ? (
        <RotationsDialog
          sshKey={open.key}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onRotated={() => void load()}
        />
      ) : null}
      {open?.kind === 'share' ? (
        <ShareDialog
          resourceName={open.key.name}
          noun="SSH key"
          share={(grantee, permission) =>
            api.shareSshKey(open.key.id, { kind: grantee.kind, name: grantee.name }, permission)
          }
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onShared={(text) => {
            setOpen(undefined);
            setAnnouncement(text);
          }}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete the SSH key ${open.key.name}?`}
          confirmLabel="Delete key"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            const done = await api.deleteSshKey(open.key.id, withoutDissociation);
            const left = [...done.left, ...(done.hiddenLeft > 0 ? [`${done.hiddenLeft} more`] : [])];
            changed(
              `SSH key ${open.key.name} deleted` +
                (done.dissociated.length > 0 ? `; removed from ${done.dissociated.join(', ')}` : '') +
                (left.length > 0 ? `; still in authorized_keys of ${left.join(', ')}` : ''),
              'ssh-keys-heading',
            );
          }}
        >
          <p>
            The key is first removed from every account it is associated with (over each resource&apos;s
            remote reset configuration); if that fails anywhere, nothing is deleted.
          </p>
          <CheckboxField
            label="Delete without dissociating"
            hint="Leave the key in authorized_keys on the hosts; only the vault forgets it."
            checked={withoutDissociation}
            onChange={(e) => setWithoutDissociation(e.target.checked)}
          />
        </ConfirmDialog>
      ) : null}
    </>
  );
}

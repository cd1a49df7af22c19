import { useState } from 'react';
import { api, type Application } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Heading } from '../components/Heading';
import { ScreenStatus } from '../components/ScreenStatus';
import { TableWrap } from '../components/TableWrap';
import { useScreenData } from '../components/useScreenData';
import { formatDate, formatDateTime } from '../time';
import {
  CertificatesDialog,
  OPERATION_LABELS,
  RegisterDialog,
  ToolkitDialog,
} from './applications/ApplicationDialogs';

type Open =
  | { readonly kind: 'register'; readonly opener: HTMLElement | null }
  | {
      readonly kind: 'certificates' | 'toolkit' | 'remove';
      readonly app: Application;
      readonly opener: HTMLElement | null;
    };

/** A2A applications (administrators): who they act as, their client certificates, the toolkit. */
export function Applications() {
  const {
    data: apps,
    error,
    announcement,
    setAnnouncement,
    reload,
    changed: announceAndReload,
  } = useScreenData(() => api.applications());
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const [dirty, setDirty] = useState(false);

  function changed(text: string, focusAfter?: string) {
    setOpen(undefined);
    announceAndReload(text, focusAfter);
  }

  return (
    <>
      <div className="page-title-row">
        <Heading title="Applications">Applications</Heading>
        <button
          type="button"
          className="button primary"
          disabled={!apps}
          onClick={(e) => setOpen({ kind: 'register', opener: e.currentTarget })}
        >
          Register application
        </button>
      </div>
      <p className="hint">
        Applications reach passwords without a person (application-to-application): each authenticates with a
        client certificate from its registered host and acts with the access of the user it inherits.
      </p>
      <ScreenStatus announcement={announcement} error={error} />
      <h2 id="applications-heading" className="visually-hidden" tabIndex={-1}>
        Registered applications
      </h2>
      {!apps ? (
        error ? null : (
          <p className="loading" role="status">
            Loading…
          </p>
        )
      ) : apps.items.length === 0 ? (
        <p>No application is registered yet.</p>
      ) : (
        <TableWrap label="Applications">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Acts as</th>
                <th scope="col">Operations</th>
                <th scope="col">Certificates</th>
                <th scope="col">Registered</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {apps.items.map((a) => (
                <tr key={a.id}>
                  <th scope="row">
                    {a.name}
                    <span className="cell-detail">
                      From {a.host} ({a.resourceType})
                    </span>
                  </th>
                  <td>
                    {a.inheritUser}
                    <span className="cell-detail">reaches what this user reaches</span>
                  </td>
                  <td>
                    <ul className="plain-list">
                      {a.operations.map((op) => (
                        <li key={op}>{OPERATION_LABELS[op] ?? op}</li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    {a.certificates.length === 0 ? (
                      'None'
                    ) : (
                      <ul className="plain-list">
                        {a.certificates.map((c) => (
                          <li key={c.fingerprint}>
                            <code className="fingerprint" title={c.fingerprint}>
                              {c.fingerprint.slice(0, 16)}…
                            </code>
                            <span className="cell-detail">
                              {c.notAfter <= Date.now() ? 'Expired' : 'Expires'} {formatDate(c.notAfter)}
                            </span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{formatDateTime(a.createdAt)}</td>
                  <td>
                    <span className="button-row">
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'certificates', app: a, opener: e.currentTarget })}
                      >
                        Certificates<span className="visually-hidden"> of {a.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'toolkit', app: a, opener: e.currentTarget })}
                      >
                        Download toolkit<span className="visually-hidden"> of {a.name}</span>
                      </button>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) => setOpen({ kind: 'remove', app: a, opener: e.currentTarget })}
                      >
                        Remove<span className="visually-hidden"> {a.name}</span>
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      {open?.kind === 'register' && apps ? (
        <RegisterDialog
          operations={apps.operations}
          resourceTypes={apps.resourceTypes}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onRegistered={(app) => changed(`Application ${app.name} registered`)}
        />
      ) : null}
      {open?.kind === 'certificates' ? (
        <CertificatesDialog
          app={open.app}
          opener={open.opener}
          onClose={() => {
            setOpen(undefined);
            if (dirty) void reload();
            setDirty(false);
          }}
          onChanged={() => setDirty(true)}
        />
      ) : null}
      {open?.kind === 'toolkit' ? (
        <ToolkitDialog
          app={open.app}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onDownloaded={(fileName) => setAnnouncement(`${fileName} downloaded`)}
        />
      ) : null}
      {open?.kind === 'remove' ? (
        <ConfirmDialog
          title={`Remove the application ${open.app.name}?`}
          confirmLabel="Remove application"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            await api.removeApplication(open.app.id);
            changed(`Application ${open.app.name} removed`, 'applications-heading');
          }}
        >
          <p>
            Its certificates stop working at once: scripts using its toolkit are refused from their next call.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

import { useEffect, useState } from 'react';
import {
  api,
  ApiError,
  type CertificateDetails,
  type CertificateShare,
  type DeployStatus,
  type SavedServer,
} from '../../api';
import { permissionLabel, ShareDialog } from '../../components/ShareDialog';
import { TableWrap } from '../../components/TableWrap';
import { formatDateTime } from '../../time';
import { DeployDialog, DeployOutcome } from './DeployDialog';

/**
 * A certificate's sharing and deployment on its page: who it is shared with (shown to those who
 * may change it: the server answers 403 to the others, and the section says so), `Share`, the
 * saved servers with their last deployment, `Deploy` and `Deploy again` to the saved servers.
 */
export function CertificateLifecycle({ certificate }: { certificate: CertificateDetails }) {
  const [shares, setShares] = useState<readonly CertificateShare[] | string | undefined>(undefined);
  const [servers, setServers] = useState<readonly SavedServer[] | undefined>(undefined);
  const [open, setOpen] = useState<{ kind: 'share' | 'deploy'; opener: HTMLElement | null } | undefined>(
    undefined,
  );
  const [announcement, setAnnouncement] = useState('');
  const [again, setAgain] = useState<{ busy: boolean; statuses?: readonly DeployStatus[]; error?: string }>({
    busy: false,
  });
  const [version, setVersion] = useState(0);
  const id = certificate.id;
  const name = certificate.commonName || `Certificate ${id}`;

  useEffect(() => {
    const controller = new AbortController();
    const failed = (err: unknown) => {
      if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return undefined;
      return err instanceof Error ? err.message : String(err);
    };
    api.certificateShares(id, controller.signal).then(
      (answer) => setShares(answer.items),
      (err: unknown) => {
        const why = failed(err);
        if (why !== undefined) setShares(why);
      },
    );
    api.certificateDeployments(id, controller.signal).then(
      (answer) => setServers(answer.items),
      (err: unknown) => {
        if (failed(err) !== undefined) setServers([]);
      },
    );
    return () => controller.abort();
  }, [id, version]);

  async function deployAgain() {
    setAgain({ busy: true });
    try {
      const answer = await api.deployCertificate(id, {});
      setAgain({ busy: false, statuses: answer.statuses });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setAgain({ busy: false, error: err instanceof Error ? err.message : String(err) });
    }
    setVersion((v) => v + 1);
  }

  return (
    <>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <div className="page-title-row">
        <h2 className="section-heading">Sharing</h2>
        <button
          type="button"
          className="button"
          onClick={(e) => setOpen({ kind: 'share', opener: e.currentTarget })}
        >
          Share
        </button>
      </div>
      {shares === undefined ? (
        <p className="loading">Loading the shares…</p>
      ) : typeof shares === 'string' ? (
        <p>{shares}</p>
      ) : shares.length === 0 ? (
        <p>Not shared with anyone directly.</p>
      ) : (
        <TableWrap label="Shares of this certificate">
          <table className="accounts" aria-label="Shared with">
            <thead>
              <tr>
                <th scope="col">Shared with</th>
                <th scope="col">Permission</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {shares.map((s) => (
                <tr key={`${s.kind}:${s.grantee}`}>
                  <th scope="row">
                    {s.grantee}
                    <span className="cell-detail">{s.kind === 'user' ? 'User' : 'User group'}</span>
                  </th>
                  <td>{permissionLabel(s.permission)}</td>
                  <td>{formatDateTime(s.grantedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      <div className="page-title-row">
        <h2 className="section-heading">Deployments</h2>
        <span className="button-row">
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'deploy', opener: e.currentTarget })}
          >
            Deploy
          </button>
          {servers !== undefined && servers.length > 0 ? (
            <button type="button" className="button" disabled={again.busy} onClick={() => void deployAgain()}>
              {again.busy ? 'Deploying…' : 'Deploy again to the saved servers'}
            </button>
          ) : null}
        </span>
      </div>
      {again.error ? (
        <p role="alert" className="alert alert-error">
          {again.error}
        </p>
      ) : null}
      <DeployOutcome statuses={again.statuses} />
      {servers === undefined ? (
        <p className="loading">Loading the deployments…</p>
      ) : servers.length === 0 ? (
        <p>Not deployed to any server yet.</p>
      ) : (
        <TableWrap label="Saved servers">
          <table className="accounts" aria-label="Saved servers">
            <thead>
              <tr>
                <th scope="col">Server</th>
                <th scope="col">Files</th>
                <th scope="col">Verified at</th>
                <th scope="col">Last deployment</th>
              </tr>
            </thead>
            <tbody>
              {servers.map((s) => (
                <tr key={s.resourceId}>
                  <th scope="row">{s.server}</th>
                  <td>
                    {[s.certificatePath, s.keyPath, s.pfxPath].filter((p) => p !== null).join(', ')}
                    {s.owner ? <span className="cell-detail">Owner {s.owner}</span> : null}
                    {s.hasReloadCommand ? <span className="cell-detail">Reload command set</span> : null}
                  </td>
                  <td>
                    {s.verifyHost}:{s.verifyPort}
                  </td>
                  <td>
                    {s.lastStatus === null ? (
                      'Never'
                    ) : (
                      <>
                        <strong>{s.lastStatus === 'Success' ? 'Deployed' : 'Failed'}</strong>
                        {s.lastDeployedAt !== null ? (
                          <span className="cell-detail">
                            {formatDateTime(s.lastDeployedAt)}
                            {s.lastDeployedBy ? ` by ${s.lastDeployedBy}` : ''}
                          </span>
                        ) : null}
                        {s.lastMessage ? <span className="cell-detail">{s.lastMessage}</span> : null}
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {open?.kind === 'share' ? (
        <ShareDialog
          resourceName={name}
          noun="certificate"
          share={(grantee, permission) => api.shareCertificate(id, grantee, permission)}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onShared={(message) => {
            setOpen(undefined);
            setAnnouncement(message);
            setVersion((v) => v + 1);
          }}
        />
      ) : null}
      {open?.kind === 'deploy' ? (
        <DeployDialog
          certificate={certificate}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onDeployed={() => setVersion((v) => v + 1)}
        />
      ) : null}
    </>
  );
}

import { useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, certificateFileHref, type CertificateDetails } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Heading } from '../components/Heading';
import { TableWrap } from '../components/TableWrap';
import { href, navigate } from '../router';
import { formatDateTime } from '../time';
import { CertificateLifecycle } from './certificates/CertificateLifecycle';
import { KeystoreDialog } from './certificates/KeystoreDialog';
import { daysLeftText } from './certificates/format';

function Item({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

const SOURCES: Record<string, string> = {
  added: 'Added',
  discovered: 'Discovered',
  issued: 'Issued by the internal CA',
};

/** One certificate: every parsed field, where discovery found it, its PEM; download and delete. */
export function CertificatePage({ id }: { id: number }) {
  const [data, setData] = useState<CertificateDetails | undefined>(undefined);
  const [error, setError] = useState<{ status: number; message: string } | undefined>(undefined);
  const [deleting, setDeleting] = useState<HTMLElement | null | undefined>(undefined);
  const [exporting, setExporting] = useState<HTMLElement | null | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    api.certificate(id, controller.signal).then(setData, (err: unknown) => {
      if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
      setError({
        status: err instanceof ApiError ? err.status : 0,
        message: err instanceof Error ? err.message : String(err),
      });
    });
    return () => controller.abort();
  }, [id]);

  if (error)
    return (
      <>
        <p className="breadcrumb">
          <a href="#/certificates">Certificates</a>
        </p>
        <Heading title="Certificate">
          {error.status === 404 ? 'Certificate not found' : 'Certificate'}
        </Heading>
        <p role="alert" className="alert alert-error">
          {error.message}
        </p>
      </>
    );
  if (!data)
    return (
      <p className="loading" role="status">
        Loading the certificate…
      </p>
    );

  const name = data.commonName || `Certificate ${data.id}`;
  return (
    <>
      <p className="breadcrumb">
        <a href="#/certificates">Certificates</a>
      </p>
      <div className="page-title-row">
        <Heading title={name}>{name}</Heading>
        <span className="button-row">
          <a className="button" href={certificateFileHref(data.id)} download>
            Download PEM
          </a>
          {data.hasPrivateKey ? (
            <button type="button" className="button" onClick={(e) => setExporting(e.currentTarget)}>
              Export keystore
            </button>
          ) : null}
          <button type="button" className="button" onClick={(e) => setDeleting(e.currentTarget)}>
            Delete certificate
          </button>
        </span>
      </div>
      <dl className="details" aria-label="Certificate details">
        <Item term="Subject">{data.subject}</Item>
        <Item term="Issuer">{data.issuer}</Item>
        <Item term="Valid from">{formatDateTime(data.notBefore)}</Item>
        <Item term="Valid until">
          {formatDateTime(data.notAfter)} ({daysLeftText(data.daysLeft)})
        </Item>
        <Item term="Serial number">
          <span className="fingerprint">{data.serial}</span>
        </Item>
        <Item term="Key">
          {data.keyAlgorithm} {data.keyBits} bits{data.curve ? ` (${data.curve})` : ''}
        </Item>
        <Item term="Signature algorithm">{data.signatureAlgorithm}</Item>
        <Item term="Subject alternative names">{[...data.sans.dns, ...data.sans.ip].join(', ') || '—'}</Item>
        <Item term="SHA-256 fingerprint">
          <span className="fingerprint">{data.sha256}</span>
        </Item>
        <Item term="SHA-1 fingerprint">
          <span className="fingerprint">{data.sha1}</span>
        </Item>
        <Item term="Kind">
          {data.isCa ? 'Certificate authority' : 'End entity'}
          {data.selfSigned ? ', self-signed' : ''}
        </Item>
        <Item term="Issued by">
          {data.issuerId === null ? (
            data.issuerCommonName || '—'
          ) : (
            <a href={href({ name: 'certificate', id: data.issuerId })}>{data.issuerCommonName || 'Issuer'}</a>
          )}
        </Item>
        <Item term="Private key">
          {data.hasPrivateKey ? `Stored${data.hasPassphrase ? ', with its passphrase' : ''}` : 'Not stored'}
        </Item>
        <Item term="Source">
          {SOURCES[data.source] ?? data.source}, by {data.addedBy} on {formatDateTime(data.addedAt)}
        </Item>
      </dl>
      <h2 className="section-heading">Found on</h2>
      {data.foundOn.length === 0 ? (
        <p>Discovery has not found this certificate on any host.</p>
      ) : (
        <TableWrap label="Hosts serving this certificate">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Port</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {data.foundOn.map((l) => (
                <tr key={`${l.host}:${l.port}:${l.servername}`}>
                  <th scope="row">
                    {l.host}
                    {l.servername ? <span className="cell-detail">SNI {l.servername}</span> : null}
                  </th>
                  <td>{l.port}</td>
                  <td>{formatDateTime(l.firstSeen)}</td>
                  <td>{formatDateTime(l.lastSeen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <CertificateLifecycle certificate={data} />
      <h2 className="section-heading">Certificate (PEM)</h2>
      <pre className="pem" tabIndex={0} aria-label="Certificate in PEM">
        {data.pem}
      </pre>
      {exporting !== undefined ? (
        <KeystoreDialog certificate={data} opener={exporting} onClose={() => setExporting(undefined)} />
      ) : null}
      {deleting !== undefined ? (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Delete certificate"
          opener={deleting}
          onClose={() => setDeleting(undefined)}
          onConfirm={async () => {
            await api.deleteCertificate(data.id);
            navigate({ name: 'certificates' });
          }}
        >
          <p>
            The certificate{data.hasPrivateKey ? ' and its private key' : ''} will be removed from the vault.
            This cannot be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

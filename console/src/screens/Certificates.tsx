import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { api, ApiError, INTERNAL_CA_HREF, type Certificate, type CertificateRequest } from '../api';
import { Heading } from '../components/Heading';
import { saveFile } from '../download';
import { TableWrap } from '../components/TableWrap';
import { href } from '../router';
import { formatDate } from '../time';
import { AddCertificateDialog, RequestDialog } from './certificates/CertificateDialogs';
import { CertificateGroups } from './certificates/CertificateGroups';
import { DiscoveryDialog } from './certificates/DiscoveryDialog';
import { daysLeftText } from './certificates/format';

const PAGE_SIZE = 50;
const SEARCH_DELAY_MS = 250;

/** The expiry filter's choices (days; '' for every certificate). */
const EXPIRY_CHOICES = [
  ['', 'Any expiry'],
  ['0', 'Already expired'],
  ['7', 'Expiring within 7 days'],
  ['30', 'Expiring within 30 days'],
  ['90', 'Expiring within 90 days'],
  ['365', 'Expiring within a year'],
] as const;

type Open =
  { readonly kind: 'add' | 'csr' | 'issue' | 'discover'; readonly opener: HTMLElement | null } | undefined;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The certificate repository: search, expiry filter, pages; add, create, discover; the CSRs. */
export function Certificates() {
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [expiry, setExpiry] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<{ items: readonly Certificate[]; total: number } | undefined>(undefined);
  const [requests, setRequests] = useState<readonly CertificateRequest[]>([]);
  const [requestsTotal, setRequestsTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [open, setOpen] = useState<Open>(undefined);
  const [version, setVersion] = useState(0);
  const tableRef = useRef<HTMLTableElement>(null);
  const ids = useId();

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setQuery(search.trim());
      setOffset(0);
    }, SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    api
      .certificates(
        {
          search: query,
          expiringWithinDays: expiry === '' ? undefined : Number(expiry),
          offset,
          limit: PAGE_SIZE,
        },
        controller.signal,
      )
      .then(
        (answer) => {
          setPage(answer);
          setError(undefined);
          setLoading(false);
        },
        (err: unknown) => {
          if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
          setLoading(false);
          setError(message(err));
        },
      );
    return () => controller.abort();
  }, [query, expiry, offset, version]);

  const loadRequests = useCallback(() => {
    api.certificateRequests({ offset: 0, limit: PAGE_SIZE }).then(
      (answer) => {
        setRequests(answer.items);
        setRequestsTotal(answer.total);
      },
      () => setRequests([]),
    );
  }, []);
  useEffect(() => loadRequests(), [loadRequests, version]);

  function changed(text: string) {
    setOpen(undefined);
    setAnnouncement(text);
    setVersion((v) => v + 1);
  }

  async function sign(request: CertificateRequest) {
    setAnnouncement('');
    try {
      const signed = await api.signCertificateRequest(request.id);
      changed(`CSR ${request.id} signed: certificate ${signed.certificate.commonName} added.`);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(message(err));
    }
  }

  const total = page?.total ?? 0;
  const first = offset + 1;
  const last = Math.min(offset + PAGE_SIZE, total);

  return (
    <>
      <div className="page-title-row">
        <Heading title="Certificates">Certificates</Heading>
        <p className="button-row">
          <button
            type="button"
            className="button primary"
            onClick={(e) => setOpen({ kind: 'add', opener: e.currentTarget })}
          >
            Add certificate
          </button>
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'csr', opener: e.currentTarget })}
          >
            Create CSR
          </button>
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'issue', opener: e.currentTarget })}
          >
            Create certificate
          </button>
          <button
            type="button"
            className="button"
            onClick={(e) => setOpen({ kind: 'discover', opener: e.currentTarget })}
          >
            Discover certificates
          </button>
          <a className="button" href={INTERNAL_CA_HREF} download>
            Download internal CA certificate
          </a>
        </p>
      </div>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      <div className="filters" role="search" aria-label="Filter certificates">
        <div className="field">
          <label htmlFor={`${ids}-search`}>Search</label>
          <p id={`${ids}-search-hint`} className="hint">
            Common name, issuer, SANs or SHA-256 fingerprint
          </p>
          <input
            id={`${ids}-search`}
            type="search"
            aria-describedby={`${ids}-search-hint`}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${ids}-expiry`}>Expiry</label>
          <p className="hint">&nbsp;</p>
          <select
            id={`${ids}-expiry`}
            value={expiry}
            onChange={(e) => {
              setExpiry(e.target.value);
              setOffset(0);
            }}
          >
            {EXPIRY_CHOICES.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
      </div>
      <p className="count" role="status" aria-live="polite" aria-busy={loading}>
        {page === undefined
          ? 'Loading certificates…'
          : total === 0
            ? 'No certificates match'
            : total === 1
              ? '1 certificate'
              : `Showing ${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${total.toLocaleString('en')} certificates`}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      {page && page.items.length > 0 ? (
        <TableWrap label="Certificates">
          <table className="accounts" aria-label="Certificates" ref={tableRef} tabIndex={-1}>
            <thead>
              <tr>
                <th scope="col">Common name</th>
                <th scope="col">Issuer</th>
                <th scope="col">Expires</th>
                <th scope="col">Key</th>
                <th scope="col">SANs</th>
                <th scope="col">SHA-256 fingerprint</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <a href={href({ name: 'certificate', id: c.id })}>
                      {c.commonName || `Certificate ${c.id}`}
                    </a>
                    <span className="cell-detail">{c.source}</span>
                  </th>
                  <td>{c.issuerCommonName || '—'}</td>
                  <td className="nowrap">
                    {formatDate(c.notAfter)}
                    <span className={c.daysLeft < 30 ? 'cell-detail days-soon' : 'cell-detail'}>
                      {daysLeftText(c.daysLeft)}
                    </span>
                  </td>
                  <td className="nowrap">
                    {c.keyAlgorithm} {c.keyBits}
                    {c.curve ? <span className="cell-detail">{c.curve}</span> : null}
                  </td>
                  <td className="multiline">{[...c.sans.dns, ...c.sans.ip].join('\n') || '—'}</td>
                  <td className="fingerprint">{c.sha256}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      ) : null}
      {total > PAGE_SIZE ? (
        <nav className="pager button-row" aria-label="Certificate pages">
          <button
            type="button"
            className="button"
            disabled={offset === 0 || loading}
            onClick={() => {
              setOffset(Math.max(0, offset - PAGE_SIZE));
              tableRef.current?.focus();
            }}
          >
            Previous<span className="visually-hidden"> page</span>
          </button>
          <button
            type="button"
            className="button"
            disabled={offset + PAGE_SIZE >= total || loading}
            onClick={() => {
              setOffset(offset + PAGE_SIZE);
              tableRef.current?.focus();
            }}
          >
            Next<span className="visually-hidden"> page</span>
          </button>
        </nav>
      ) : null}

      {requests.length > 0 ? (
        <>
          <h2 className="section-heading">Certificate signing requests</h2>
          {requestsTotal > requests.length ? (
            <p className="hint">
              The newest {requests.length} of {requestsTotal} unsigned requests.
            </p>
          ) : null}
          <TableWrap label="Certificate signing requests">
            <table className="accounts" aria-label="Certificate signing requests">
              <thead>
                <tr>
                  <th scope="col">Common name</th>
                  <th scope="col">Key</th>
                  <th scope="col">Validity</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {requests.map((r) => (
                  <tr key={r.id}>
                    <th scope="row">
                      {r.commonName}
                      <span className="cell-detail">CSR {r.id}</span>
                    </th>
                    <td>
                      {r.keyAlgorithm} {r.keyBits}
                      <span className="cell-detail">{r.signatureAlgorithm}</span>
                    </td>
                    <td>
                      {r.validity} {r.validityType}
                    </td>
                    <td className="nowrap">
                      {formatDate(r.createdAt)}
                      <span className="cell-detail">{r.createdBy}</span>
                    </td>
                    <td>
                      <span className="button-row">
                        <button
                          type="button"
                          className="button small"
                          onClick={() =>
                            // The CSR is public material already in the list: saved from memory.
                            saveFile({
                              blob: new Blob([r.csrPem], { type: 'application/pkcs10' }),
                              fileName: `${(r.commonName || `csr-${r.id}`).replace(/[^A-Za-z0-9._-]/g, '_')}.csr`,
                            })
                          }
                        >
                          Download CSR<span className="visually-hidden"> ({r.commonName})</span>
                        </button>
                        <button type="button" className="button small" onClick={() => void sign(r)}>
                          Sign with internal CA<span className="visually-hidden"> ({r.commonName})</span>
                        </button>
                      </span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      ) : null}

      <CertificateGroups version={version} />

      {open?.kind === 'add' ? (
        <AddCertificateDialog
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onAdded={(name) => changed(`Certificate ${name} added.`)}
        />
      ) : null}
      {open?.kind === 'csr' || open?.kind === 'issue' ? (
        <RequestDialog
          mode={open.kind}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onDone={changed}
        />
      ) : null}
      {open?.kind === 'discover' ? (
        <DiscoveryDialog
          opener={open.opener}
          onClose={() => {
            setOpen(undefined);
            setVersion((v) => v + 1);
          }}
        />
      ) : null}
    </>
  );
}

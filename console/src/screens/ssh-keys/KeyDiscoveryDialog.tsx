import { useEffect, useId, useState } from 'react';
import {
  api,
  ApiError,
  type FoundKey,
  type GroupKeyDiscoveryResult,
  type Job,
  type KeyFindings,
  type ResourceGroup,
  type ResourceSummary,
} from '../../api';
import { Dialog } from '../../components/Dialog';
import { SelectField } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';
import { ResourcePicker } from '../../components/ResourcePicker';
import { TableWrap } from '../../components/TableWrap';
import { useFormSubmit } from '../../components/useFormSubmit';
import { formatDateTime } from '../../time';
import { JobProgress, useJobProgress } from '../../components/JobProgress';
import { ImportKeyDialog } from './KeyDialogs';

type Running =
  | { readonly kind: 'resource' }
  | {
      readonly kind: 'group';
      readonly jobId: number;
      readonly total: number;
      readonly job?: Job | undefined;
    };

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function groupResult(job: Job | undefined): GroupKeyDiscoveryResult | undefined {
  const result = job?.result as Partial<GroupKeyDiscoveryResult> | null | undefined;
  return result && typeof result === 'object' && Array.isArray(result.items)
    ? (result as GroupKeyDiscoveryResult)
    : undefined;
}

/** A name for a discovered key adopted into the vault: its comment when it has a usable one. */
function suggestedName(key: FoundKey): string {
  const fromComment = key.comment.replace(/[^A-Za-z0-9._@-]+/g, '-').replace(/^-+|-+$/g, '');
  return fromComment !== '' ? fromComment.slice(0, 60) : `${key.userName}-${key.fingerprint.slice(7, 15)}`;
}

/**
 * SSH key discovery (ADR 034): the keys in every account's authorized_keys on one resource
 * (answered in the request) or on every resource of a resource group (a job whose progress is
 * polled), then what was found: keys the vault holds by name, and unknown ones, which can be
 * adopted by importing their private key (the finding then shows the vault's key).
 */
export function KeyDiscoveryDialog({
  opener,
  onClose,
  onImported,
}: {
  opener: HTMLElement | null;
  onClose: () => void;
  onImported: (text: string) => void;
}) {
  const ids = useId();
  const [kind, setKind] = useState<'resource' | 'group'>('resource');
  const [resource, setResource] = useState<ResourceSummary | undefined>(undefined);
  const [groups, setGroups] = useState<readonly ResourceGroup[] | undefined>(undefined);
  const [groupName, setGroupName] = useState('');
  const [running, setRunning] = useState<Running | undefined>(undefined);
  const [findings, setFindings] = useState<KeyFindings | undefined>(undefined);
  const [findingsError, setFindingsError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [adopting, setAdopting] = useState<{ key: FoundKey; opener: HTMLElement } | undefined>(undefined);
  const { form, errors, setErrors, busy, submit } = useFormSubmit(['resourceName', 'groupName']);

  useEffect(() => {
    if (kind !== 'group' || groups !== undefined) return;
    api.resourceGroups().then(
      (answer) => setGroups(answer.items),
      (err: unknown) => {
        setGroups([]);
        if (!(err instanceof ApiError && err.status === 401)) setErrors({ form: message(err) });
      },
    );
  }, [kind, groups, setErrors]);

  const jobId = running?.kind === 'group' ? running.jobId : undefined;
  const pollError = useJobProgress(jobId, (job) =>
    setRunning((r) => (r?.kind === 'group' && r.jobId === job.id ? { ...r, job } : r)),
  );
  const job = running?.kind === 'group' ? running.job : undefined;
  const finished = job !== undefined && job.status !== 'queued' && job.status !== 'running';
  const result = groupResult(job);

  async function showFindings(resourceName: string) {
    setFindingsError(undefined);
    try {
      const found = await api.keyFindings(resourceName);
      setFindings(found);
      setStatus(`${found.keys.length} keys found on ${found.resourceName}`);
      window.setTimeout(() => document.getElementById(`${ids}-findings`)?.focus(), 0);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setFindingsError(message(err));
    }
  }

  return (
    <Dialog title="Discover SSH keys" onClose={onClose} returnFocusTo={opener}>
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      <FormAlert message={errors.form} />
      {findings === undefined && running?.kind !== 'group' ? (
        <form
          ref={form}
          noValidate
          onSubmit={submit(
            async () => {
              if (kind === 'resource' && resource) {
                setStatus(`Reading authorized_keys on ${resource.name}…`);
                try {
                  const found = await api.discoverKeysOnResource(resource.name);
                  setRunning({ kind: 'resource' });
                  setFindings(found);
                  setStatus(`${found.keys.length} keys found on ${found.resourceName}`);
                  window.setTimeout(() => document.getElementById(`${ids}-findings`)?.focus(), 0);
                } catch (err) {
                  setStatus('');
                  throw err;
                }
              } else if (kind === 'group') {
                const started = await api.discoverKeysInGroup(groupName);
                setRunning({ kind: 'group', jobId: started.jobId, total: started.total });
              }
            },
            () =>
              kind === 'resource'
                ? !resource
                  ? { resourceName: 'Choose a resource from the list' }
                  : {}
                : groupName === ''
                  ? { groupName: 'Choose a resource group' }
                  : {},
          )}
        >
          <fieldset className="choice-group">
            <legend>Discover on</legend>
            {(['resource', 'group'] as const).map((value) => (
              <label key={value}>
                <input
                  type="radio"
                  name={`${ids}-kind`}
                  value={value}
                  checked={kind === value}
                  onChange={() => {
                    setKind(value);
                    setErrors({});
                  }}
                />
                {value === 'resource' ? 'One resource' : 'A resource group (in the background)'}
              </label>
            ))}
          </fieldset>
          {kind === 'resource' ? (
            <ResourcePicker
              label="Resource"
              value={resource}
              error={errors.resourceName}
              onChange={(picked) => {
                setResource(picked);
                if (picked && errors.resourceName) setErrors(({ resourceName: _, ...rest }) => rest);
              }}
            />
          ) : (
            <SelectField
              label="Resource group"
              name="groupName"
              value={groupName}
              error={errors.groupName}
              hint={
                groups !== undefined && groups.length === 0 ? 'There are no resource groups yet.' : undefined
              }
              onChange={(e) => setGroupName(e.target.value)}
            >
              <option value="">{groups === undefined ? 'Loading…' : 'Choose a group'}</option>
              {(groups ?? []).map((g) => (
                <option key={g.id} value={g.name}>
                  {g.name}
                </option>
              ))}
            </SelectField>
          )}
          <p className="hint">
            Bulwark logs in with each resource&apos;s remote reset configuration and reads every
            account&apos;s authorized_keys; it needs full access to the resource.
          </p>
          <p className="button-row">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Discovering…' : 'Discover'}
            </button>
            <button type="button" className="button" onClick={onClose}>
              Close
            </button>
          </p>
        </form>
      ) : running?.kind === 'group' ? (
        <>
          <JobProgress
            what="Discovery"
            jobId={running.jobId}
            job={job}
            total={running.total}
            noun="resource"
            pollError={pollError}
            testId="key-discovery-progress"
          />
          {result ? (
            <TableWrap label="Discovery of each resource">
              <table className="accounts" aria-label="Discovery of each resource">
                <thead>
                  <tr>
                    <th scope="col">Resource</th>
                    <th scope="col">Outcome</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {result.items.map((item) => (
                    <tr key={item.resource}>
                      <th scope="row">{item.resource}</th>
                      <td>
                        {item.status === 'discovered'
                          ? 'Read'
                          : item.status === 'failed'
                            ? 'Failed'
                            : 'Skipped'}
                        {item.message ? <span className="cell-detail">{item.message}</span> : null}
                      </td>
                      <td>
                        {item.status === 'discovered' ? (
                          <button
                            type="button"
                            className="button small"
                            onClick={() => void showFindings(item.resource)}
                          >
                            Show keys<span className="visually-hidden"> found on {item.resource}</span>
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          ) : null}
        </>
      ) : null}
      <FormAlert message={findingsError} />
      {findings ? (
        <Findings
          headingId={`${ids}-findings`}
          findings={findings}
          onAdopt={(key, button) => setAdopting({ key, opener: button })}
        />
      ) : null}
      {running !== undefined && (findings !== undefined || finished) ? (
        <p className="button-row">
          <button
            type="button"
            className="button"
            onClick={() => {
              setRunning(undefined);
              setFindings(undefined);
              setStatus('');
            }}
          >
            Discover again
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      ) : null}
      {adopting ? (
        <ImportKeyDialog
          title={`Import the private key of ${adopting.key.fingerprint}`}
          initialName={suggestedName(adopting.key)}
          opener={adopting.opener}
          onClose={() => setAdopting(undefined)}
          onImported={(key) => {
            setAdopting(undefined);
            const text =
              key.fingerprint === adopting.key.fingerprint
                ? `SSH key ${key.name} imported: the key found on ${findings?.resourceName ?? 'the resource'} is now in the vault`
                : `SSH key ${key.name} imported, but its fingerprint ${key.fingerprint} is not the one found (${adopting.key.fingerprint})`;
            setStatus(text);
            onImported(text);
            if (findings) void showFindings(findings.resourceName);
          }}
        />
      ) : null}
    </Dialog>
  );
}

/** What the last discovery found on one resource: each key line, and whether the vault holds it. */
function Findings({
  headingId,
  findings,
  onAdopt,
}: {
  headingId: string;
  findings: KeyFindings;
  onAdopt: (key: FoundKey, button: HTMLElement) => void;
}) {
  const unreadable = findings.accounts.filter((a) => a.file !== 'present' && a.file !== 'missing');
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId} tabIndex={-1}>
        Keys found on {findings.resourceName}
      </h3>
      <p>
        {findings.discoveredAt !== null
          ? `Read ${formatDateTime(findings.discoveredAt)}${findings.discoveredBy ? ` by ${findings.discoveredBy}` : ''}; `
          : ''}
        {findings.accounts.length} {findings.accounts.length === 1 ? 'account' : 'accounts'} with a home
        directory, {findings.keys.length} {findings.keys.length === 1 ? 'key' : 'keys'},{' '}
        {findings.keys.filter((k) => !k.known).length} not in the vault.
      </p>
      {findings.lastError ? (
        <p className="alert alert-error">The last attempt failed: {findings.lastError.message}</p>
      ) : null}
      {unreadable.length > 0 ? (
        <p className="notice">Not read: {unreadable.map((a) => `${a.userName} (${a.file})`).join(', ')}</p>
      ) : null}
      {findings.keys.length === 0 ? (
        <p>No account has a key in its authorized_keys.</p>
      ) : (
        <TableWrap label={`authorized_keys lines on ${findings.resourceName}`}>
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Key</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">In the vault</th>
              </tr>
            </thead>
            <tbody>
              {findings.keys.map((k) => (
                <tr key={`${k.userName}\u0000${k.line}`}>
                  <th scope="row">
                    {k.userName}
                    <span className="cell-detail">line {k.line}</span>
                  </th>
                  <td>
                    {k.keyType} {k.bits} bits
                    {k.comment ? <span className="cell-detail">{k.comment}</span> : null}
                    {k.options ? <span className="cell-detail">options: {k.options}</span> : null}
                  </td>
                  <td>
                    <code className="fingerprint">{k.fingerprint}</code>
                  </td>
                  <td>
                    {k.vaultKeys.length > 0 ? (
                      k.vaultKeys.join(', ')
                    ) : k.known ? (
                      'Yes (a key you cannot see)'
                    ) : (
                      <>
                        <span className="badge badge-warning">Not in the vault</span>{' '}
                        <button
                          type="button"
                          className="button small"
                          onClick={(e) => onAdopt(k, e.currentTarget)}
                        >
                          Import
                          <span className="visually-hidden">
                            {' '}
                            the key of {k.userName} line {k.line}
                          </span>
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}

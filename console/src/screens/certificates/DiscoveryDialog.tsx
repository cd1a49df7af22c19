import { useId, useState } from 'react';
import { api, type HostDiscovery, type Job, type RangeDiscoveryResult } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { TableWrap } from '../../components/TableWrap';
import { useFormSubmit } from '../../components/useFormSubmit';
import { FormAlert } from '../../components/FormAlert';
import { JobProgress, useJobProgress } from '../../components/JobProgress';

type Running =
  | { readonly kind: 'host'; readonly report: HostDiscovery }
  | {
      readonly kind: 'range';
      readonly jobId: number;
      readonly total: number;
      readonly job?: Job | undefined;
    };

function resultOf(job: Job | undefined): RangeDiscoveryResult | undefined {
  const result = job?.result as Partial<RangeDiscoveryResult> | null | undefined;
  return result && typeof result === 'object' && result.details
    ? (result as RangeDiscoveryResult)
    : undefined;
}

/**
 * Certificate discovery: one host and port (answered at once), or an IPv4 range with ports, run
 * as a job on the server whose progress shows as a progress bar and "N of M hosts", then each
 * host's outcome.
 */
export function DiscoveryDialog({ opener, onClose }: { opener: HTMLElement | null; onClose: () => void }) {
  const ids = useId();
  const [mode, setMode] = useState<'host' | 'range'>('range');
  const [fields, setFields] = useState({
    host: '',
    port: '443',
    start: '',
    end: '',
    ports: '443',
    timeout: '10',
  });
  const [running, setRunning] = useState<Running | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit([
    'host',
    'port',
    'start',
    'end',
    'ports',
    'timeoutSeconds',
  ]);
  const set = (name: keyof typeof fields) => (e: { target: { value: string } }) =>
    setFields((f) => ({ ...f, [name]: e.target.value }));
  const jobId = running?.kind === 'range' ? running.jobId : undefined;
  const pollError = useJobProgress(jobId, (job) =>
    setRunning((r) => (r?.kind === 'range' && r.jobId === job.id ? { ...r, job } : r)),
  );

  const job = running?.kind === 'range' ? running.job : undefined;
  const result = resultOf(job);

  return (
    <Dialog title="Discover certificates" onClose={onClose} returnFocusTo={opener}>
      {running === undefined ? (
        <>
          <FormAlert message={errors.form} />
          <form
            ref={form}
            noValidate
            onSubmit={submit(
              async () => {
                const timeoutSeconds = Number(fields.timeout);
                if (mode === 'host') {
                  const report = await api.discoverHost({
                    host: fields.host.trim(),
                    port: Number(fields.port),
                    timeoutSeconds,
                  });
                  setRunning({ kind: 'host', report });
                } else {
                  const started = await api.discoverRange({
                    start: fields.start.trim(),
                    end: fields.end.trim(),
                    ports: fields.ports.trim(),
                    timeoutSeconds,
                  });
                  setRunning({ kind: 'range', jobId: started.jobId, total: started.total });
                }
              },
              () => {
                if (!/^[1-9][0-9]{0,2}$/.test(fields.timeout))
                  return { timeoutSeconds: 'A whole number of seconds' };
                if (mode === 'host' && !/^[1-9][0-9]{0,4}$/.test(fields.port))
                  return { port: 'A port, 1 to 65535' };
                return {};
              },
            )}
          >
            <fieldset className="choice-group">
              <legend>Where to look</legend>
              <label>
                <input
                  type="radio"
                  name={`${ids}-mode`}
                  checked={mode === 'range'}
                  onChange={() => setMode('range')}
                />
                An IPv4 range
              </label>
              <label>
                <input
                  type="radio"
                  name={`${ids}-mode`}
                  checked={mode === 'host'}
                  onChange={() => setMode('host')}
                />
                One host
              </label>
            </fieldset>
            {mode === 'host' ? (
              <>
                <Field
                  label="Host"
                  required
                  hint="A host name or an IP address"
                  value={fields.host}
                  error={errors.host}
                  onChange={set('host')}
                />
                <Field
                  label="Port"
                  required
                  inputMode="numeric"
                  value={fields.port}
                  error={errors.port}
                  onChange={set('port')}
                />
              </>
            ) : (
              <>
                <Field
                  label="First address"
                  required
                  hint="Such as 192.0.2.1"
                  value={fields.start}
                  error={errors.start}
                  onChange={set('start')}
                />
                <Field
                  label="Last address"
                  required
                  value={fields.end}
                  error={errors.end}
                  onChange={set('end')}
                />
                <Field
                  label="Ports"
                  required
                  hint="One port, or several separated by commas (443, 8443)"
                  value={fields.ports}
                  error={errors.ports}
                  onChange={set('ports')}
                />
              </>
            )}
            <Field
              label="Timeout (seconds)"
              inputMode="numeric"
              value={fields.timeout}
              error={errors.timeoutSeconds}
              onChange={set('timeout')}
            />
            <p className="button-row">
              <button type="submit" className="button primary" disabled={busy}>
                {mode === 'host' ? 'Discover' : 'Start discovery'}
              </button>
              <button type="button" className="button" onClick={onClose}>
                Cancel
              </button>
            </p>
          </form>
        </>
      ) : running.kind === 'host' ? (
        <p role="status" className={running.report.status === 'SUCCESS' ? 'notice' : 'alert alert-error'}>
          {running.report.host}:{running.report.port}: {running.report.message}
        </p>
      ) : (
        <>
          <JobProgress
            what="Discovery"
            jobId={running.jobId}
            job={job}
            total={running.total}
            noun="host"
            pollError={pollError}
            testId="discovery-progress"
          />
          {result ? (
            <>
              <p>
                {result.found} of {result.total} found a certificate, {result.failed} failed; {result.added}{' '}
                new certificates stored.
              </p>
              <TableWrap label="Discovery results">
                <table className="accounts" aria-label="Discovery results">
                  <thead>
                    <tr>
                      <th scope="col">Host</th>
                      <th scope="col">Outcome</th>
                    </tr>
                  </thead>
                  <tbody>
                    {Object.entries(result.details).map(([host, [status, text]]) => (
                      <tr key={host}>
                        <th scope="row">{host}</th>
                        <td>
                          {status === 'SUCCESS' ? 'Found' : 'Failed'}
                          <span className="cell-detail">{text}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            </>
          ) : null}
        </>
      )}
      {running ? (
        <p className="button-row">
          <button type="button" className="button primary" onClick={onClose}>
            Close
          </button>
        </p>
      ) : null}
    </Dialog>
  );
}

import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type KeyRotation, type KeyRotationSchedule, type SshKey } from '../../api';
import { Dialog } from '../../components/Dialog';
import { FormAlert } from '../../components/FormAlert';
import { TableWrap } from '../../components/TableWrap';
import { ScheduleForm } from './ScheduleForm';
import { formatDateTime } from '../../time';

const STATUS_WORDS: Record<KeyRotation['status'], string> = {
  pending: 'Pending (finishing on its own)',
  completed: 'Completed',
  failed: 'Failed (the old key stays)',
};

function scheduleText(schedule: KeyRotationSchedule): string {
  const timing =
    schedule.timing.kind === 'interval'
      ? `Every ${schedule.timing.days === 1 ? 'day' : `${schedule.timing.days} days`}`
      : `On the schedule ${schedule.timing.expression}`;
  return `${timing}; next ${formatDateTime(schedule.nextRunAt)}${
    schedule.lastRunAt !== null ? `; last ${formatDateTime(schedule.lastRunAt)}` : ''
  } (set by ${schedule.createdBy})`;
}

/**
 * A key's rotations (ADR 035): its schedule if it has one, the rotations newest first with each
 * host's outcome, and `Rotate now`: a new pair added to every host the key is deployed on and
 * verified there, then the old line removed; if a host refuses the new key, the others are rolled
 * back and the vault keeps the old key.
 */
export function RotationsDialog({
  sshKey,
  opener,
  onClose,
  onRotated,
}: {
  sshKey: SshKey;
  opener: HTMLElement | null;
  onClose: () => void;
  onRotated: (text: string) => void;
}) {
  const [data, setData] = useState<{ items: readonly KeyRotation[]; schedule: KeyRotationSchedule | null }>();
  const [error, setError] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      setData(await api.keyRotations(sshKey.id));
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof Error ? err.message : String(err));
    }
  }, [sshKey.id]);

  useEffect(() => {
    void load();
  }, [load]);

  async function rotate() {
    setBusy(true);
    setError(undefined);
    setStatus(`Rotating ${sshKey.name}…`);
    try {
      const done = await api.rotateSshKey(sshKey.id);
      const text =
        done.outcome === 'rotated'
          ? `${sshKey.name} rotated: the new key ${done.rotation.newFingerprint} is on ${
              done.rotation.hosts.length === 1 ? '1 host' : `${done.rotation.hosts.length} hosts`
            }`
          : `${sshKey.name} ${done.outcome === 'failed' ? 'not rotated' : 'not rotated yet'}: ${done.message}`;
      setStatus(text);
      if (done.outcome === 'rotated') onRotated(text);
      else setError(text);
      await load();
      window.setTimeout(() => document.getElementById('rotations-heading')?.focus(), 0);
    } catch (err) {
      setStatus('');
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Rotations of ${sshKey.name}`} onClose={onClose} returnFocusTo={opener}>
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      <FormAlert message={error} />
      <p>
        <strong>Schedule:</strong>{' '}
        {data === undefined
          ? 'Loading…'
          : data.schedule
            ? scheduleText(data.schedule)
            : 'None (rotated only when asked).'}
      </p>
      {data ? (
        <ScheduleForm
          // A new form (its fields from the saved schedule) after each change.
          key={data.schedule ? `${data.schedule.timing.kind}:${data.schedule.nextRunAt}` : 'none'}
          sshKey={sshKey}
          schedule={data.schedule}
          onChanged={(text) => {
            setStatus(text);
            void load();
          }}
        />
      ) : null}
      <p className="hint">
        Rotate now makes a new key pair, adds it to every account the key is associated with and checks that
        it opens each of them, then removes the old line. If any host refuses the new key, it is taken off the
        others and the vault keeps the old key.
      </p>
      <h3 id="rotations-heading" tabIndex={-1}>
        Rotations
      </h3>
      {!data ? (
        <p className="loading">Loading…</p>
      ) : data.items.length === 0 ? (
        <p>The key has not been rotated.</p>
      ) : (
        <TableWrap label="Rotations">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Status</th>
                <th scope="col">Fingerprints</th>
                <th scope="col">Hosts</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((r) => (
                <tr key={r.rotationId}>
                  <th scope="row">
                    {formatDateTime(r.createdAt)}
                    <span className="cell-detail">
                      by {r.requestedBy} ({r.trigger})
                    </span>
                  </th>
                  <td>
                    {STATUS_WORDS[r.status]}
                    {r.message ? <span className="cell-detail">{r.message}</span> : null}
                  </td>
                  <td>
                    <span className="cell-detail">
                      old <code className="fingerprint">{r.oldFingerprint}</code>
                    </span>
                    <span className="cell-detail">
                      new <code className="fingerprint">{r.newFingerprint}</code>
                    </span>
                  </td>
                  <td>
                    {r.hosts.length === 0 ? (
                      'None'
                    ) : (
                      <ul className="plain-list">
                        {r.hosts.map((h) => (
                          <li key={`${h.resourceName}\u0000${h.userName}`}>
                            {h.userName} on {h.resourceName}: {h.status}
                            {h.message ? ` (${h.message})` : ''}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      <p className="button-row">
        <button
          type="button"
          className="button primary"
          disabled={busy || !data}
          onClick={() => void rotate()}
        >
          {busy ? 'Rotating…' : 'Rotate now'}
        </button>
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      </p>
    </Dialog>
  );
}

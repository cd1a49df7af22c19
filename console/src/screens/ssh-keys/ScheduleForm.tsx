import { useId, useState } from 'react';
import { api, type KeyRotationSchedule, type SshKey } from '../../api';
import { Field } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';
import { useFormSubmit } from '../../components/useFormSubmit';

/**
 * Sets, replaces or removes a key's rotation schedule (ADR 035): every N days, or a cron
 * expression the server reads in its own time zone. The server checks the timing and that the
 * caller may rotate the key; its refusal is shown beside the field at fault.
 */
export function ScheduleForm({
  sshKey,
  schedule,
  onChanged,
}: {
  sshKey: SshKey;
  schedule: KeyRotationSchedule | null;
  onChanged: (text: string) => void;
}) {
  const ids = useId();
  const [kind, setKind] = useState<'interval' | 'cron'>(schedule?.timing.kind ?? 'interval');
  const [days, setDays] = useState(
    schedule?.timing.kind === 'interval' ? String(schedule.timing.days) : '90',
  );
  const [cron, setCron] = useState(schedule?.timing.kind === 'cron' ? schedule.timing.expression : '');
  const { form, errors, busy, run, submit } = useFormSubmit(['everyDays', 'cron']);

  const save = submit(
    async () => {
      await api.setKeyRotationSchedule(
        sshKey.id,
        kind === 'cron' ? { cron: cron.trim() } : { everyDays: Number(days) },
      );
      onChanged(`The rotation schedule of ${sshKey.name} is saved`);
    },
    () =>
      kind === 'interval' && !/^[1-9][0-9]{0,3}$/.test(days.trim())
        ? { everyDays: 'A whole number of days, at least 1' }
        : kind === 'cron' && cron.trim() === ''
          ? { cron: 'A cron expression, such as 0 2 * * 0' }
          : {},
  );

  return (
    <form ref={form} noValidate onSubmit={save} aria-labelledby={`${ids}-heading`}>
      <h3 id={`${ids}-heading`}>{schedule ? 'Change the schedule' : 'Schedule rotations'}</h3>
      <FormAlert message={errors.form} />
      <fieldset className="choice-group">
        <legend>Rotate</legend>
        <label>
          <input
            type="radio"
            name={`${ids}-kind`}
            checked={kind === 'interval'}
            onChange={() => setKind('interval')}
          />
          Every N days
        </label>
        <label>
          <input
            type="radio"
            name={`${ids}-kind`}
            checked={kind === 'cron'}
            onChange={() => setKind('cron')}
          />
          On a cron schedule
        </label>
      </fieldset>
      {kind === 'interval' ? (
        <Field
          label="Every (days)"
          name="everyDays"
          inputMode="numeric"
          required
          value={days}
          error={errors.everyDays}
          onChange={(e) => setDays(e.target.value)}
        />
      ) : (
        <Field
          label="Cron expression"
          name="cron"
          required
          hint="Five fields in the server's time zone: minute, hour, day of month, month, day of week (0 2 * * 0: Sundays at 02:00)"
          value={cron}
          error={errors.cron}
          onChange={(e) => setCron(e.target.value)}
        />
      )}
      <p className="button-row">
        <button type="submit" className="button primary" disabled={busy}>
          Save schedule
        </button>
        {schedule ? (
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() =>
              void run(async () => {
                await api.removeKeyRotationSchedule(sshKey.id);
                onChanged(`The rotation schedule of ${sshKey.name} is removed`);
              })
            }
          >
            Remove schedule
          </button>
        ) : null}
      </p>
    </form>
  );
}

import { useId, useState } from 'react';
import { api, type Application, type DirectoryUser, type TrustedCertificate } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, SelectField, TextAreaField } from '../../components/Field';
import { UserPicker } from '../../components/UserPicker';
import { useFormSubmit } from '../../components/useFormSubmit';
import { readTextFile, saveFile } from '../../download';
import { formatDate } from '../../time';
import { FormAlert } from '../../components/FormAlert';

/** The operations in words. */
export const OPERATION_LABELS: Record<string, string> = {
  RETRIEVE: 'Retrieve passwords',
  RESET_LOCAL: 'Change passwords in the vault',
  RESET_REMOTE: 'Change passwords on the target',
  CREATE: 'Create resources and accounts',
};

/** A PEM certificate is a few KB; the server takes up to 64 KiB. */
const CERTIFICATE_BYTES = 64 * 1024;

interface Common {
  readonly opener: HTMLElement | null;
  readonly onClose: () => void;
}

/** Registers an application: its name, host, resource type, operations and inherited user. */
export function RegisterDialog({
  operations,
  resourceTypes,
  opener,
  onClose,
  onRegistered,
}: Common & {
  operations: readonly string[];
  resourceTypes: readonly string[];
  onRegistered: (app: Application) => void;
}) {
  const ids = useId();
  const [name, setName] = useState('');
  const [host, setHost] = useState('');
  const [resourceType, setResourceType] = useState(resourceTypes[0] ?? 'Linux');
  const [chosen, setChosen] = useState<readonly string[]>(['RETRIEVE']);
  const [user, setUser] = useState<DirectoryUser | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit([
    'name',
    'host',
    'resourceType',
    'operations',
    'inheritUser',
  ]);
  const operationsError = errors.operations;

  return (
    <Dialog title="Register application" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const app = await api.registerApplication({
              name: name.trim(),
              host: host.trim(),
              resourceType,
              operations: operations.filter((op) => chosen.includes(op)),
              inheritUser: user?.username ?? '',
            });
            onRegistered(app);
          },
          () => ({
            ...(name.trim() === '' ? { name: 'Enter a name' } : {}),
            ...(host.trim() === '' ? { host: 'Enter the host the application calls from' } : {}),
            ...(chosen.length === 0 ? { operations: 'Choose at least one operation' } : {}),
            ...(!user ? { inheritUser: 'Choose the user whose access the application inherits' } : {}),
          }),
        )}
      >
        <Field
          label="Name"
          name="name"
          required
          autoComplete="off"
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Host"
          name="host"
          required
          autoComplete="off"
          hint="The DNS name or IP address the application calls from; other hosts are refused"
          value={host}
          error={errors.host}
          onChange={(e) => setHost(e.target.value)}
        />
        <SelectField
          label="Resource type"
          hint="The type of the resources the application creates"
          value={resourceType}
          error={errors.resourceType}
          onChange={(e) => setResourceType(e.target.value)}
        >
          {resourceTypes.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </SelectField>
        <fieldset
          className="choice-group"
          aria-describedby={operationsError ? `${ids}-operations-error` : undefined}
        >
          <legend>Operations</legend>
          {operations.map((op, index) => (
            <label key={op}>
              <input
                type="checkbox"
                checked={chosen.includes(op)}
                aria-invalid={operationsError && index === 0 ? true : undefined}
                onChange={(e) =>
                  setChosen((current) =>
                    e.target.checked ? [...current, op] : current.filter((c) => c !== op),
                  )
                }
              />
              {OPERATION_LABELS[op] ?? op}
            </label>
          ))}
          {operationsError ? (
            <p id={`${ids}-operations-error`} className="field-error">
              {operationsError}
            </p>
          ) : null}
        </fieldset>
        <UserPicker
          label="Inherits the access of"
          value={user}
          onChange={setUser}
          error={errors.inheritUser}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Register
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** The application's trusted client certificates: import one (PEM pasted or read from a file), revoke. */
export function CertificatesDialog({
  app,
  opener,
  onClose,
  onChanged,
}: Common & { app: Application; onChanged: () => void }) {
  const [certificates, setCertificates] = useState<readonly TrustedCertificate[]>(app.certificates);
  const [pem, setPem] = useState('');
  const [status, setStatus] = useState('');
  const { form, errors, setErrors, busy, run, submit } = useFormSubmit(['certificate']);

  function report(text: string) {
    setStatus(text);
    onChanged();
  }

  return (
    <Dialog title={`Certificates of ${app.name}`} onClose={onClose} returnFocusTo={opener}>
      <p className="announcer" role="status" aria-live="polite">
        {status}
      </p>
      <FormAlert message={errors.form} />
      <h3 id="certificates-heading" tabIndex={-1}>
        Trusted certificates
      </h3>
      {certificates.length === 0 ? (
        <p>No certificate is trusted for this application: it cannot authenticate yet.</p>
      ) : (
        <ul className="plain-list certificate-list">
          {certificates.map((c) => (
            <li key={c.fingerprint} className="certificate-item">
              <dl>
                <dt>Subject</dt>
                <dd>{c.subject}</dd>
                <dt>SHA-256 fingerprint</dt>
                <dd>
                  <code className="fingerprint">{c.fingerprint}</code>
                </dd>
                <dt>Valid</dt>
                <dd>
                  {formatDate(c.notBefore)} to {formatDate(c.notAfter)}
                  {c.notAfter <= Date.now() ? <span className="badge badge-warning">Expired</span> : null}
                </dd>
                <dt>Serial</dt>
                <dd>
                  <code className="fingerprint">{c.serial}</code>
                </dd>
              </dl>
              <button
                type="button"
                className="button small"
                disabled={busy}
                onClick={() =>
                  void run(async () => {
                    await api.revokeApplicationCertificate(app.id, c.fingerprint);
                    setCertificates((current) => current.filter((x) => x.fingerprint !== c.fingerprint));
                    report(`Certificate ${c.subject} revoked for ${app.name}`);
                    window.setTimeout(() => document.getElementById('certificates-heading')?.focus(), 0);
                  })
                }
              >
                Revoke<span className="visually-hidden"> {c.subject}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3>Import a certificate</h3>
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const cert = await api.importApplicationCertificate(app.id, pem);
            setCertificates((current) => [...current, cert]);
            setPem('');
            report(`Certificate ${cert.subject} trusted for ${app.name}`);
          },
          () => (pem.trim() === '' ? { certificate: 'Paste the certificate or choose its file' } : {}),
        )}
      >
        <Field
          label="Certificate file"
          type="file"
          accept=".pem,.crt,.cer"
          hint="Or paste it below; the file is read here and sent as text"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            readTextFile(file, CERTIFICATE_BYTES).then(setPem, (err: unknown) =>
              setErrors({ certificate: err instanceof Error ? err.message : String(err) }),
            );
          }}
        />
        <TextAreaField
          label="Certificate (PEM)"
          name="certificate"
          rows={6}
          spellCheck={false}
          autoComplete="off"
          hint="Beginning with -----BEGIN CERTIFICATE-----"
          value={pem}
          error={errors.certificate}
          onChange={(e) => setPem(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Import certificate
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** The PMP_API toolkit as a ZIP: the server URL is how the application's host reaches this server. */
export function ToolkitDialog({
  app,
  opener,
  onClose,
  onDownloaded,
}: Common & { app: Application; onDownloaded: (fileName: string) => void }) {
  const [serverUrl, setServerUrl] = useState(window.location.origin);
  const [done, setDone] = useState<string | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit(['serverUrl']);
  return (
    <Dialog title={`Toolkit of ${app.name}`} onClose={onClose} returnFocusTo={opener}>
      <p>
        The PMP_API scripts (Linux and Windows), their settings and library. Add the application&apos;s client
        certificate and key beside them; the toolkit holds no secret.
      </p>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const file = await api.applicationToolkit(app.id, serverUrl.trim());
            saveFile(file);
            setDone(file.fileName);
            onDownloaded(file.fileName);
          },
          () => (serverUrl.trim() === '' ? { serverUrl: 'Enter the server URL the application uses' } : {}),
        )}
      >
        <Field
          label="Server URL"
          name="serverUrl"
          required
          type="url"
          autoComplete="off"
          hint="https://HOST:PORT as the application's host reaches this server"
          value={serverUrl}
          error={errors.serverUrl}
          onChange={(e) => setServerUrl(e.target.value)}
        />
        {done ? (
          <p role="status" className="notice">
            {done} downloaded.
          </p>
        ) : null}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Download toolkit
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

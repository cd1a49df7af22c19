import { useState } from 'react';
import { api, type CertificateDetails, type DeployStatus } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, TextAreaField } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';
import { useFormSubmit } from '../../components/useFormSubmit';

const FIELDS = [
  'resource',
  'certificatePath',
  'keyPath',
  'pfxPath',
  'owner',
  'reloadCommand',
  'verifyHost',
  'verifyPort',
] as const;

/**
 * Deploys a certificate to a Linux resource over SSH (endpoint 64's service): the chain to its
 * path, the private key and a PFX when their paths are given, an optional reload command, then
 * the server reads back what the host serves. The resource's remote reset configuration is the
 * way in; the paths are saved for the resource. Each server's outcome is shown here; a refusal
 * of the form is shown beside its field.
 */
export function DeployDialog({
  certificate,
  opener,
  onClose,
  onDeployed,
}: {
  certificate: CertificateDetails;
  opener: HTMLElement | null;
  onClose: () => void;
  onDeployed: () => void;
}) {
  const [values, setValues] = useState<Record<(typeof FIELDS)[number], string>>({
    resource: '',
    certificatePath: '',
    keyPath: '',
    pfxPath: '',
    owner: '',
    reloadCommand: '',
    verifyHost: '',
    verifyPort: '443',
  });
  const [statuses, setStatuses] = useState<readonly DeployStatus[] | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit(FIELDS);
  const name = certificate.commonName || `certificate ${certificate.id}`;
  const set = (field: (typeof FIELDS)[number]) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [field]: e.target.value }));

  return (
    <Dialog title={`Deploy ${name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            setStatuses(undefined);
            const fields: Record<string, string> = {};
            for (const f of FIELDS) if (values[f].trim() !== '') fields[f] = values[f];
            const answer = await api.deployCertificate(certificate.id, fields);
            setStatuses(answer.statuses);
            onDeployed();
          },
          () => {
            const found: Partial<Record<(typeof FIELDS)[number], string>> = {};
            if (values.resource.trim() === '') found.resource = 'Enter the resource to deploy to';
            if (values.certificatePath.trim() === '')
              found.certificatePath = 'Enter the absolute path of the certificate file on the host';
            return found;
          },
        )}
      >
        <Field
          label="Resource"
          required
          hint="A Linux resource with a remote reset configuration: the server logs in with it over SSH"
          value={values.resource}
          error={errors.resource}
          onChange={set('resource')}
        />
        <Field
          label="Certificate path"
          required
          hint="The chain is written here (mode 0644), e.g. /etc/nginx/tls/site.pem"
          value={values.certificatePath}
          error={errors.certificatePath}
          onChange={set('certificatePath')}
        />
        {certificate.hasPrivateKey ? (
          <>
            <Field
              label="Key path"
              hint="The private key, unencrypted PKCS#8 (mode 0600); leave empty to send no key"
              value={values.keyPath}
              error={errors.keyPath}
              onChange={set('keyPath')}
            />
            <Field
              label="PFX path"
              hint="A PKCS#12 file protected with the key's stored passphrase; leave empty for none"
              value={values.pfxPath}
              error={errors.pfxPath}
              onChange={set('pfxPath')}
            />
          </>
        ) : null}
        <Field
          label="File owner"
          hint="user or user:group; empty: the login account (root when elevated)"
          value={values.owner}
          error={errors.owner}
          onChange={set('owner')}
        />
        <TextAreaField
          label="Reload command"
          hint="Run with sh on the host after the files are in place, e.g. systemctl reload nginx"
          value={values.reloadCommand}
          error={errors.reloadCommand}
          onChange={set('reloadCommand')}
        />
        <Field
          label="Verify host"
          hint="Where the served certificate is read back; empty: the resource's DNS name"
          value={values.verifyHost}
          error={errors.verifyHost}
          onChange={set('verifyHost')}
        />
        <Field
          label="Verify port"
          inputMode="numeric"
          value={values.verifyPort}
          error={errors.verifyPort}
          onChange={set('verifyPort')}
        />
        <DeployOutcome statuses={statuses} />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Deploying…' : 'Deploy'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** Each server's outcome: a failure as an alert (read at once), success as a status. */
export function DeployOutcome({ statuses }: { statuses: readonly DeployStatus[] | undefined }) {
  if (statuses === undefined) return null;
  const failed = statuses.filter((s) => s.status === 'Failed');
  return (
    <div
      role={failed.length > 0 ? 'alert' : 'status'}
      className={failed.length > 0 ? 'alert alert-error' : 'notice'}
    >
      <ul className="plain-list">
        {statuses.map((s) => (
          <li key={s.server}>
            <strong>{s.status === 'Success' ? 'Deployed' : 'Failed'}:</strong> {s.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

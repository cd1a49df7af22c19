import { useState } from 'react';
import { api, type CertificateDetails } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, SelectField } from '../../components/Field';
import { useFormSubmit } from '../../components/useFormSubmit';
import { FormAlert } from '../../components/FormAlert';

/** Saves a downloaded file through an object URL (revoked soon after). */
function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

/**
 * Exports a certificate with its private key and chain as a PKCS#12 or JKS file, protected by
 * the password given (or by the key's stored passphrase). The server releases the key through
 * the vault's release gate and audits it.
 */
export function KeystoreDialog({
  certificate,
  opener,
  onClose,
}: {
  certificate: CertificateDetails;
  opener: HTMLElement | null;
  onClose: () => void;
}) {
  const [format, setFormat] = useState<'PKCS12' | 'JKS'>('PKCS12');
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState<string | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit(['format', 'password']);
  const name = certificate.commonName || `certificate ${certificate.id}`;

  return (
    <Dialog title={`Export keystore of ${name}`} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            setSaved(undefined);
            const file = await api.exportKeystore(certificate.id, {
              format,
              ...(password ? { password } : {}),
            });
            save(file.blob, file.fileName);
            setSaved(file.fileName);
          },
          () =>
            !certificate.hasPassphrase && password === ''
              ? { password: 'Enter a password to protect the keystore' }
              : {},
        )}
      >
        <SelectField
          label="Format"
          value={format}
          error={errors.format}
          onChange={(e) => setFormat(e.target.value === 'JKS' ? 'JKS' : 'PKCS12')}
        >
          <option value="PKCS12">PKCS#12 (.p12)</option>
          <option value="JKS">Java keystore (.jks)</option>
        </SelectField>
        <Field
          label="Keystore password"
          type="password"
          autoComplete="new-password"
          required={!certificate.hasPassphrase}
          hint={
            certificate.hasPassphrase
              ? "Leave empty to protect the file with the private key's stored passphrase"
              : undefined
          }
          value={password}
          error={errors.password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p className="hint">The private key leaves the vault; the export is recorded in the audit trail.</p>
        {saved ? (
          <p role="status" className="notice">
            {saved} downloaded.
          </p>
        ) : null}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Export keystore
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

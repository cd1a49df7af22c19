import { useId, useState } from 'react';
import { api, type CertificateRequestFields, type NewCertificate } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, SelectField, TextAreaField } from '../../components/Field';
import { useFormSubmit } from '../../components/useFormSubmit';
import { isPemFile, readAsBase64 } from './format';
import { FormAlert } from '../../components/FormAlert';

const MAX_FILE_BYTES = 256 * 1024;

/**
 * Adds a certificate: a PEM or DER file (or PEM pasted), optionally with its private key, or a
 * PKCS#12 / JKS keystore with its password. The file is read here and sent as JSON.
 */
export function AddCertificateDialog({
  opener,
  onClose,
  onAdded,
}: {
  opener: HTMLElement | null;
  onClose: () => void;
  onAdded: (name: string) => void;
}) {
  const ids = useId();
  const [kind, setKind] = useState<'certificate' | 'keystore'>('certificate');
  const [file, setFile] = useState<File | undefined>(undefined);
  const [pasted, setPasted] = useState('');
  const [password, setPassword] = useState('');
  const [privateKey, setPrivateKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const { form, errors, busy, submit } = useFormSubmit([
    'certificate',
    'password',
    'privateKey',
    'passphrase',
  ]);

  async function inputOf(): Promise<NewCertificate> {
    if (kind === 'keystore') {
      return { format: 'keystore', certificate: await readAsBase64(file!), password };
    }
    const key = privateKey.trim() === '' ? {} : { privateKey, ...(passphrase ? { passphrase } : {}) };
    if (file) {
      return (await isPemFile(file))
        ? { format: 'pem', certificate: await file.text(), ...key }
        : { format: 'der', certificate: await readAsBase64(file), ...key };
    }
    return { format: 'pem', certificate: pasted, ...key };
  }

  return (
    <Dialog title="Add certificate" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const added = await api.addCertificate(await inputOf());
            onAdded(added.certificate.commonName || `certificate ${added.certificate.id}`);
          },
          () => {
            if (file && file.size > MAX_FILE_BYTES)
              return { certificate: `The file is larger than ${MAX_FILE_BYTES / 1024} KB` };
            if (kind === 'keystore' && !file) return { certificate: 'Choose the keystore file' };
            if (kind === 'certificate' && !file && pasted.trim() === '')
              return { certificate: 'Choose a certificate file or paste the certificate' };
            return {};
          },
        )}
      >
        <fieldset className="choice-group">
          <legend>What to add</legend>
          <label>
            <input
              type="radio"
              name={`${ids}-kind`}
              checked={kind === 'certificate'}
              onChange={() => setKind('certificate')}
            />
            Certificate (PEM or DER)
          </label>
          <label>
            <input
              type="radio"
              name={`${ids}-kind`}
              checked={kind === 'keystore'}
              onChange={() => setKind('keystore')}
            />
            Keystore (PKCS#12 or JKS)
          </label>
        </fieldset>
        <Field
          label={kind === 'keystore' ? 'Keystore file' : 'Certificate file'}
          type="file"
          accept={kind === 'keystore' ? '.p12,.pfx,.jks' : '.pem,.crt,.cer,.der'}
          hint={
            kind === 'keystore'
              ? 'A .p12, .pfx or .jks file'
              : 'A .pem, .crt, .cer or .der file; a chain is added too'
          }
          error={kind === 'keystore' || file ? errors.certificate : undefined}
          onChange={(e) => setFile(e.target.files?.[0])}
        />
        {kind === 'keystore' ? (
          <Field
            label="Keystore password"
            type="password"
            autoComplete="off"
            value={password}
            error={errors.password}
            onChange={(e) => setPassword(e.target.value)}
          />
        ) : (
          <>
            {file ? null : (
              <TextAreaField
                label="Or paste the certificate (PEM)"
                rows={6}
                spellCheck={false}
                className="monospace"
                value={pasted}
                error={errors.certificate}
                onChange={(e) => setPasted(e.target.value)}
              />
            )}
            <TextAreaField
              label="Private key (PEM, optional)"
              hint="Stored sealed in the vault; released only through the vault's release gate"
              rows={4}
              spellCheck={false}
              className="monospace"
              autoComplete="off"
              value={privateKey}
              error={errors.privateKey}
              onChange={(e) => setPrivateKey(e.target.value)}
            />
            {privateKey.includes('ENCRYPTED') ? (
              <Field
                label="Private key passphrase"
                type="password"
                autoComplete="off"
                value={passphrase}
                error={errors.passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
              />
            ) : null}
          </>
        )}
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Add certificate
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

type RequestField =
  | 'commonName'
  | 'altNames'
  | 'organization'
  | 'organizationalUnit'
  | 'locality'
  | 'state'
  | 'country'
  | 'keyAlgorithm'
  | 'signatureHash'
  | 'validity'
  | 'password';

const KEY_CHOICES = [
  ['RSA-2048', 'RSA 2048 bits'],
  ['RSA-4096', 'RSA 4096 bits'],
  ['EC-P256', 'EC P-256'],
  ['EC-P384', 'EC P-384'],
] as const;

/**
 * A CSR (`csr`: the key is made and kept sealed on the server; signed later with the internal
 * CA) or a certificate issued at once by the internal CA (`issue`).
 */
export function RequestDialog({
  mode,
  opener,
  onClose,
  onDone,
}: {
  mode: 'csr' | 'issue';
  opener: HTMLElement | null;
  onClose: () => void;
  onDone: (announcement: string) => void;
}) {
  const [fields, setFields] = useState({
    commonName: '',
    altNames: '',
    organization: '',
    organizationalUnit: '',
    locality: '',
    state: '',
    country: '',
    keyAlgorithm: 'RSA-2048' as CertificateRequestFields['keyAlgorithm'],
    signatureHash: 'SHA-256' as CertificateRequestFields['signatureHash'],
    validity: '365',
    password: '',
  });
  const { form, errors, busy, submit } = useFormSubmit<RequestField>([
    'commonName',
    'altNames',
    'organization',
    'organizationalUnit',
    'locality',
    'state',
    'country',
    'keyAlgorithm',
    'signatureHash',
    'validity',
    'password',
  ]);
  const set = (name: keyof typeof fields) => (e: { target: { value: string } }) =>
    setFields((f) => ({ ...f, [name]: e.target.value }));

  function requestOf(): CertificateRequestFields {
    const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
    return {
      commonName: fields.commonName.trim(),
      altNames: fields.altNames,
      organization: optional(fields.organization),
      organizationalUnit: optional(fields.organizationalUnit),
      locality: optional(fields.locality),
      state: optional(fields.state),
      country: optional(fields.country),
      keyAlgorithm: fields.keyAlgorithm,
      signatureHash: fields.signatureHash,
      validity: Number(fields.validity),
      validityType: 'days',
      ...(fields.password ? { password: fields.password } : {}),
    };
  }

  const title = mode === 'csr' ? 'Create CSR' : 'Create certificate';
  return (
    <Dialog title={title} onClose={onClose} returnFocusTo={opener}>
      <p className="hint">
        {mode === 'csr'
          ? 'The key pair is made and kept sealed on the server; sign the request with the internal CA from the list.'
          : 'The internal CA makes a key pair and signs a certificate for it; both are kept in the vault.'}
      </p>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            if (mode === 'csr') {
              const created = await api.createCertificateRequest(requestOf());
              onDone(`CSR ${created.id} for ${created.commonName} created.`);
            } else {
              const issued = await api.issueCertificate(requestOf());
              onDone(`Certificate ${issued.certificate.commonName} created.`);
            }
          },
          () => {
            if (fields.commonName.trim() === '') return { commonName: 'Enter the common name' };
            if (!/^[1-9][0-9]{0,3}$/.test(fields.validity)) return { validity: 'A whole number of days' };
            return {};
          },
        )}
      >
        <Field
          label="Common name (CN)"
          required
          autoComplete="off"
          value={fields.commonName}
          error={errors.commonName}
          onChange={set('commonName')}
        />
        <TextAreaField
          label="Subject alternative names"
          hint="DNS names and IP addresses, separated by commas or new lines"
          rows={2}
          value={fields.altNames}
          error={errors.altNames}
          onChange={set('altNames')}
        />
        <Field
          label="Organization (O)"
          value={fields.organization}
          error={errors.organization}
          onChange={set('organization')}
        />
        <Field
          label="Organizational unit (OU)"
          value={fields.organizationalUnit}
          error={errors.organizationalUnit}
          onChange={set('organizationalUnit')}
        />
        <Field
          label="Locality (L)"
          value={fields.locality}
          error={errors.locality}
          onChange={set('locality')}
        />
        <Field label="State (ST)" value={fields.state} error={errors.state} onChange={set('state')} />
        <Field
          label="Country (C)"
          hint="Two letters, such as GB"
          maxLength={2}
          value={fields.country}
          error={errors.country}
          onChange={set('country')}
        />
        <SelectField
          label="Key"
          value={fields.keyAlgorithm}
          error={errors.keyAlgorithm}
          onChange={set('keyAlgorithm')}
        >
          {KEY_CHOICES.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Signature"
          value={fields.signatureHash}
          error={errors.signatureHash}
          onChange={set('signatureHash')}
        >
          <option value="SHA-256">SHA-256</option>
          <option value="SHA-384">SHA-384</option>
          <option value="SHA-512">SHA-512</option>
        </SelectField>
        <Field
          label="Validity (days)"
          inputMode="numeric"
          required
          value={fields.validity}
          error={errors.validity}
          onChange={set('validity')}
        />
        <Field
          label="Private key password (optional)"
          hint="Encrypts the private key; kept sealed in the vault"
          type="password"
          autoComplete="new-password"
          value={fields.password}
          error={errors.password}
          onChange={set('password')}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {title}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

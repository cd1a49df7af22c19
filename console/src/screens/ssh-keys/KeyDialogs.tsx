import { useState } from 'react';
import { api, type SshKey, type SshKeys, type SshKeyType } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field, SelectField, TextAreaField } from '../../components/Field';
import { useFormSubmit } from '../../components/useFormSubmit';
import { readTextFile } from '../../download';
import { FormAlert } from '../../components/FormAlert';

export const TYPE_NAMES: Record<SshKeyType, string> = {
  'ssh-rsa': 'RSA',
  'ssh-dss': 'DSA',
  ed25519: 'Ed25519',
  ecdsa: 'ECDSA',
};
/** The service's default length of each type (RSA 2048, the others their first). */
const DEFAULT_BITS: Partial<Record<SshKeyType, number>> = { 'ssh-rsa': 2048 };
/** A private key file is a few KB; the server takes up to 64 KiB. */
const KEY_FILE_BYTES = 64 * 1024;

interface Common {
  readonly opener: HTMLElement | null;
  readonly onClose: () => void;
}

/** A new key pair: type and length among the service's choices, optional comment and passphrase. */
export function NewKeyDialog({
  types,
  opener,
  onClose,
  onCreated,
}: Common & { types: SshKeys['types']; onCreated: (key: SshKey) => void }) {
  const first = types.find((t) => t.type === 'ssh-rsa') ?? types[0];
  const [name, setName] = useState('');
  const [type, setType] = useState<SshKeyType>(first?.type ?? 'ed25519');
  const lengthsOf = (t: SshKeyType) => types.find((x) => x.type === t)?.lengths ?? [];
  const defaultBits = (t: SshKeyType) => DEFAULT_BITS[t] ?? lengthsOf(t)[0] ?? 0;
  const [bits, setBits] = useState(() => defaultBits(type));
  const [comment, setComment] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [repeat, setRepeat] = useState('');
  const { form, errors, busy, submit } = useFormSubmit([
    'name',
    'type',
    'bits',
    'comment',
    'passphrase',
    'repeat',
  ]);

  return (
    <Dialog title="New SSH key" onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const key = await api.createSshKey({
              name: name.trim(),
              type,
              bits,
              ...(comment.trim() !== '' ? { comment: comment.trim() } : {}),
              ...(passphrase !== '' ? { passphrase } : {}),
            });
            onCreated(key);
          },
          () => ({
            ...(name.trim() === '' ? { name: 'Enter a name' } : {}),
            ...(passphrase !== repeat ? { repeat: 'The passphrases differ' } : {}),
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
        <SelectField
          label="Type"
          value={type}
          error={errors.type}
          onChange={(e) => {
            const next = e.target.value as SshKeyType;
            setType(next);
            setBits(defaultBits(next));
          }}
        >
          {types.map((t) => (
            <option key={t.type} value={t.type}>
              {TYPE_NAMES[t.type]}
            </option>
          ))}
        </SelectField>
        <SelectField
          label="Length"
          value={String(bits)}
          error={errors.bits}
          disabled={lengthsOf(type).length < 2}
          onChange={(e) => setBits(Number(e.target.value))}
        >
          {lengthsOf(type).map((b) => (
            <option key={b} value={b}>
              {b} bits
            </option>
          ))}
        </SelectField>
        <Field
          label="Comment"
          name="comment"
          autoComplete="off"
          hint="Written at the end of the public key, e.g. user@host"
          value={comment}
          error={errors.comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <Field
          label="Passphrase"
          name="passphrase"
          type="password"
          autoComplete="new-password"
          hint="Optional: the private key file is then encrypted with it"
          value={passphrase}
          error={errors.passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        <Field
          label="Repeat passphrase"
          name="repeat"
          type="password"
          autoComplete="new-password"
          value={repeat}
          error={errors.repeat}
          onChange={(e) => setRepeat(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Create key
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** An existing private key: pasted, or read from a file in the browser; its passphrase if it has one. */
export function ImportKeyDialog({
  opener,
  onClose,
  onImported,
  title = 'Import SSH key',
  initialName = '',
}: Common & {
  onImported: (key: SshKey) => void;
  /** Adopting a discovered key says which one it is for. */
  title?: string;
  initialName?: string;
}) {
  const [name, setName] = useState(initialName);
  const [privateKey, setPrivateKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [comment, setComment] = useState('');
  const { form, errors, setErrors, busy, submit } = useFormSubmit([
    'name',
    'privateKey',
    'passphrase',
    'comment',
  ]);

  return (
    <Dialog title={title} onClose={onClose} returnFocusTo={opener}>
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const key = await api.importSshKey({
              name: name.trim(),
              privateKey,
              ...(comment.trim() !== '' ? { comment: comment.trim() } : {}),
              ...(passphrase !== '' ? { passphrase } : {}),
            });
            onImported(key);
          },
          () => ({
            ...(name.trim() === '' ? { name: 'Enter a name' } : {}),
            ...(privateKey.trim() === '' ? { privateKey: 'Paste the private key or choose its file' } : {}),
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
          label="Private key file"
          type="file"
          hint="Or paste the key below; the file is read here and sent as text"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (!file) return;
            readTextFile(file, KEY_FILE_BYTES).then(
              (text) => {
                setPrivateKey(text);
                if (name.trim() === '') setName(file.name.replace(/\.(key|pem)$/i, ''));
              },
              (err: unknown) => setErrors({ privateKey: err instanceof Error ? err.message : String(err) }),
            );
          }}
        />
        <TextAreaField
          label="Private key"
          name="privateKey"
          required
          rows={6}
          spellCheck={false}
          autoComplete="off"
          className="monospace"
          hint="OpenSSH, PEM or PKCS#8, beginning with -----BEGIN"
          value={privateKey}
          error={errors.privateKey}
          onChange={(e) => setPrivateKey(e.target.value)}
        />
        <Field
          label="Passphrase"
          name="passphrase"
          type="password"
          autoComplete="off"
          hint="Only if the key is encrypted"
          value={passphrase}
          error={errors.passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
        />
        <Field
          label="Comment"
          name="comment"
          autoComplete="off"
          hint="Leave empty to keep the key's own comment"
          value={comment}
          error={errors.comment}
          onChange={(e) => setComment(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Import key
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

import { useEffect, useState } from 'react';
import { api, ApiError, type Certificate, type CertificateGroup } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Dialog } from '../../components/Dialog';
import { Field, SelectField } from '../../components/Field';
import { FormAlert } from '../../components/FormAlert';
import { ShareDialog } from '../../components/ShareDialog';
import { TableWrap } from '../../components/TableWrap';
import { useFormSubmit } from '../../components/useFormSubmit';
import { href } from '../../router';
import { formatDate } from '../../time';

type Open =
  | {
      readonly kind: 'new' | 'rename' | 'members' | 'share' | 'delete';
      readonly group?: CertificateGroup;
      readonly opener: HTMLElement | null;
    }
  | undefined;

const ACCESS: Record<CertificateGroup['access'], string> = {
  owner: 'Yours',
  all: 'Super administrator',
  view: 'Shared: view',
  modify: 'Shared: modify',
  full: 'Shared: full access',
};

/** Only the owner or a super administrator manages a group (the server decides; this hides the buttons). */
const manages = (g: CertificateGroup) => g.access === 'owner' || g.access === 'all';

/**
 * Certificate groups (ADR 040): the groups the caller owns or reaches through a share, with the
 * members they can see; new group, rename, members (add, remove), share and delete. A group gives
 * nothing by itself: its share confers at most what the sharer and whoever added a member hold.
 */
export function CertificateGroups({ version }: { version: number }) {
  const [groups, setGroups] = useState<readonly CertificateGroup[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<Open>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [reload, setReload] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api.certificateGroups(controller.signal).then(
      (answer) => {
        setGroups(answer.items);
        setError(undefined);
        // The members dialog shows the group as listed: keep it current after a change.
        setOpen((o) =>
          o?.kind === 'members' && o.group
            ? { ...o, group: answer.items.find((g) => g.id === o.group!.id) }
            : o,
        );
      },
      (err: unknown) => {
        if (controller.signal.aborted || (err instanceof ApiError && err.status === 401)) return;
        setError(err instanceof Error ? err.message : String(err));
      },
    );
    return () => controller.abort();
  }, [version, reload]);

  const changed = (message: string, close = true) => {
    if (close) setOpen(undefined);
    setAnnouncement(message);
    setReload((r) => r + 1);
  };
  const opening =
    (kind: NonNullable<Open>['kind'], group?: CertificateGroup) => (e: { currentTarget: HTMLElement }) =>
      setOpen({ kind, ...(group ? { group } : {}), opener: e.currentTarget });

  return (
    <section aria-labelledby="certificate-groups-heading">
      <div className="page-title-row">
        <h2 id="certificate-groups-heading" className="section-heading" tabIndex={-1}>
          Certificate groups
        </h2>
        <button type="button" className="button" onClick={opening('new')}>
          New certificate group
        </button>
      </div>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : groups === undefined ? (
        <p className="loading">Loading the certificate groups…</p>
      ) : groups.length === 0 ? (
        <p className="empty">No certificate groups yet.</p>
      ) : (
        <TableWrap label="Certificate groups">
          <table className="accounts" aria-label="Certificate groups">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Access</th>
                <th scope="col">Certificates</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr key={g.id}>
                  <th scope="row">
                    {g.name}
                    {g.description ? <span className="cell-detail">{g.description}</span> : null}
                  </th>
                  <td>
                    {ACCESS[g.access]}
                    {g.access !== 'owner' && g.owner ? (
                      <span className="cell-detail">Owner {g.owner}</span>
                    ) : null}
                  </td>
                  <td>
                    {g.members.length === 0 ? (
                      'None'
                    ) : (
                      <ul className="plain-list">
                        {g.members.map((m) => (
                          <li key={m.id}>
                            <a href={href({ name: 'certificate', id: m.id })}>
                              {m.commonName || `Certificate ${m.id}`}
                            </a>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>
                    {manages(g) ? (
                      <span className="button-row">
                        <button type="button" className="button small" onClick={opening('members', g)}>
                          Certificates<span className="visually-hidden"> of {g.name}</span>
                        </button>
                        <button type="button" className="button small" onClick={opening('rename', g)}>
                          Rename<span className="visually-hidden"> {g.name}</span>
                        </button>
                        <button type="button" className="button small" onClick={opening('share', g)}>
                          Share<span className="visually-hidden"> {g.name}</span>
                        </button>
                        <button type="button" className="button small" onClick={opening('delete', g)}>
                          Delete<span className="visually-hidden"> {g.name}</span>
                        </button>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
      {open?.kind === 'new' || (open?.kind === 'rename' && open.group) ? (
        <GroupDialog
          group={open.kind === 'rename' ? open.group : undefined}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onSaved={changed}
        />
      ) : null}
      {open?.kind === 'members' && open.group ? (
        <MembersDialog
          group={open.group}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onChanged={(message) => changed(message, false)}
        />
      ) : null}
      {open?.kind === 'share' && open.group ? (
        <ShareDialog
          resourceName={open.group.name}
          noun="certificate group"
          share={(grantee, permission) => api.shareCertificateGroup(open.group!.id, grantee, permission)}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onShared={changed}
        />
      ) : null}
      {open?.kind === 'delete' && open.group ? (
        <ConfirmDialog
          title={`Delete ${open.group.name}?`}
          confirmLabel="Delete group"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            const name = open.group!.name;
            await api.deleteCertificateGroup(open.group!.id);
            changed(`Certificate group ${name} deleted`);
            document.getElementById('certificate-groups-heading')?.focus();
          }}
        >
          <p>The group and its shares are removed; its certificates stay in the vault.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/** A new group (name, description) or a group renamed; a taken name is refused beside `Name`. */
function GroupDialog({
  group,
  opener,
  onClose,
  onSaved,
}: {
  group: CertificateGroup | undefined;
  opener: HTMLElement | null;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const { form, errors, busy, submit } = useFormSubmit(['name', 'description']);
  return (
    <Dialog
      title={group ? `Rename ${group.name}` : 'New certificate group'}
      onClose={onClose}
      returnFocusTo={opener}
    >
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            if (group) {
              await api.editCertificateGroup(group.id, {
                name: name.trim(),
                description: description.trim(),
              });
              onSaved(`Certificate group ${group.name} saved as ${name.trim()}`);
            } else {
              await api.createCertificateGroup({
                name: name.trim(),
                ...(description.trim() ? { description: description.trim() } : {}),
              });
              onSaved(`Certificate group ${name.trim()} created`);
            }
          },
          () => (name.trim() === '' ? { name: 'Enter a name for the group' } : {}),
        )}
      >
        <Field
          label="Name"
          required
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Description"
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            {group ? 'Save' : 'Create group'}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </p>
      </form>
    </Dialog>
  );
}

/** A group's certificates: each with `Remove`; `Add to group` with one found by a search. */
function MembersDialog({
  group,
  opener,
  onClose,
  onChanged,
}: {
  group: CertificateGroup;
  opener: HTMLElement | null;
  onClose: () => void;
  onChanged: (message: string) => void;
}) {
  const [search, setSearch] = useState('');
  const [found, setFound] = useState<readonly Certificate[]>([]);
  const [chosen, setChosen] = useState('');
  const [removeError, setRemoveError] = useState<string | undefined>(undefined);
  const { form, errors, busy, submit } = useFormSubmit(['certificateIds']);

  // The certificates the caller may see matching the search, from the server (a page of 50).
  useEffect(() => {
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      api.certificates({ search, offset: 0, limit: 50 }, controller.signal).then(
        (answer) => setFound(answer.items),
        () => undefined,
      );
    }, 250);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [search]);

  const candidates = found.filter((c) => !group.members.some((m) => m.id === c.id));

  async function remove(id: number, name: string) {
    setRemoveError(undefined);
    try {
      await api.removeFromCertificateGroup(group.id, id);
      onChanged(`${name} removed from ${group.name}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setRemoveError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <Dialog title={`Certificates of ${group.name}`} onClose={onClose} returnFocusTo={opener}>
      {removeError ? (
        <p role="alert" className="alert alert-error">
          {removeError}
        </p>
      ) : null}
      {group.members.length === 0 ? (
        <p>This group has no certificates yet.</p>
      ) : (
        <ul className="plain-list member-list" aria-label={`Certificates in ${group.name}`}>
          {group.members.map((m) => (
            <li key={m.id}>
              {m.commonName || `Certificate ${m.id}`}{' '}
              <span className="cell-detail">Expires {formatDate(m.notAfter)}</span>{' '}
              <button type="button" className="button small" onClick={() => void remove(m.id, m.commonName)}>
                Remove<span className="visually-hidden"> {m.commonName}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <FormAlert message={errors.form} />
      <form
        ref={form}
        noValidate
        onSubmit={submit(
          async () => {
            const certificate = found.find((c) => String(c.id) === chosen);
            await api.addToCertificateGroup(group.id, [Number(chosen)]);
            setChosen('');
            onChanged(`${certificate?.commonName ?? 'The certificate'} added to ${group.name}`);
          },
          () => (chosen === '' ? { certificateIds: 'Choose a certificate to add' } : {}),
        )}
      >
        <Field
          label="Find certificate"
          type="search"
          hint="Common name, issuer, SAN or fingerprint"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <SelectField
          label="Certificate"
          value={chosen}
          error={errors.certificateIds}
          onChange={(e) => setChosen(e.target.value)}
        >
          <option value="">
            {candidates.length === 0 ? 'No certificate found' : 'Choose a certificate'}
          </option>
          {candidates.map((c) => (
            <option key={c.id} value={String(c.id)}>
              {c.commonName || `Certificate ${c.id}`} (serial {c.serial.slice(0, 16)}, expires{' '}
              {formatDate(c.notAfter)})
            </option>
          ))}
        </SelectField>
        <p className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Add to group
          </button>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        </p>
      </form>
    </Dialog>
  );
}

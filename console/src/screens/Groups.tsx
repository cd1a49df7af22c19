import { useState } from 'react';
import { api, managesUsers, type Session, type UserGroup } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Heading } from '../components/Heading';
import { ScreenStatus } from '../components/ScreenStatus';
import { TableWrap } from '../components/TableWrap';
import { useScreenData } from '../components/useScreenData';
import { href } from '../router';
import {
  AddMemberDialog,
  MembersDialog,
  NewResourceGroupDialog,
  NewUserGroupDialog,
} from './groups/GroupDialogs';

type Open =
  | { readonly kind: 'new-resource-group' | 'new-user-group'; readonly opener: HTMLElement | null }
  | {
      readonly kind: 'delete-resource-group';
      readonly id: number;
      readonly name: string;
      readonly opener: HTMLElement | null;
    }
  | {
      readonly kind: 'add-member' | 'members' | 'delete-user-group';
      readonly group: UserGroup;
      readonly opener: HTMLElement | null;
    };

const ACCESS_LABELS: Record<string, string> = {
  view: 'View',
  modify: 'Modify',
  full: 'Full access',
};

/** Resource groups (static and dynamic) and user groups. */
export function Groups({ session }: { session: Session }) {
  const {
    data,
    error,
    announcement,
    setAnnouncement,
    reload,
    changed: announceAndReload,
  } = useScreenData(async () => {
    const [resources, users] = await Promise.all([api.resourceGroups(), api.userGroups()]);
    return { resourceGroups: resources, userGroups: users.items };
  });
  const resourceGroups = data?.resourceGroups;
  const userGroups = data?.userGroups;
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const admin = managesUsers(session.user);

  function changed(text: string, focusAfter?: string) {
    setOpen(undefined);
    announceAndReload(text, focusAfter);
  }

  return (
    <>
      <Heading title="Groups">Groups</Heading>
      <ScreenStatus announcement={announcement} error={error} />

      <div className="section-title-row">
        <h2 id="resource-groups-heading" className="section-heading" tabIndex={-1}>
          Resource groups
        </h2>
        <button
          type="button"
          className="button small"
          disabled={!resourceGroups}
          onClick={(e) => setOpen({ kind: 'new-resource-group', opener: e.currentTarget })}
        >
          New resource group
        </button>
      </div>
      {!resourceGroups ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : resourceGroups.items.length === 0 ? (
        <p>There are no resource groups yet.</p>
      ) : (
        <TableWrap label="Resource groups">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Type</th>
                <th scope="col">Access</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {resourceGroups.items.map((g) => (
                <tr key={g.id}>
                  <th scope="row">
                    {g.name}
                    {g.description ? <span className="cell-detail">{g.description}</span> : null}
                  </th>
                  <td>{g.type === 'dynamic' ? 'Dynamic' : 'Static'}</td>
                  <td>{g.isOwner ? 'Owner' : (ACCESS_LABELS[g.access] ?? g.access)}</td>
                  <td>
                    <span className="button-row">
                      <a className="button small" href={href({ name: 'resources', group: g.id })}>
                        Show resources<span className="visually-hidden"> of {g.name}</span>
                      </a>
                      <button
                        type="button"
                        className="button small"
                        onClick={(e) =>
                          setOpen({
                            kind: 'delete-resource-group',
                            id: g.id,
                            name: g.name,
                            opener: e.currentTarget,
                          })
                        }
                      >
                        Delete<span className="visually-hidden"> {g.name}</span>
                      </button>
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      <div className="section-title-row">
        <h2 id="user-groups-heading" className="section-heading" tabIndex={-1}>
          User groups
        </h2>
        {admin ? (
          <button
            type="button"
            className="button small"
            onClick={(e) => setOpen({ kind: 'new-user-group', opener: e.currentTarget })}
          >
            New user group
          </button>
        ) : null}
      </div>
      {!userGroups ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : userGroups.length === 0 ? (
        <p>There are no user groups yet.</p>
      ) : (
        <TableWrap label="User groups">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Members</th>
                {admin ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {userGroups.map((g) => (
                <tr key={g.id}>
                  <th scope="row">{g.name}</th>
                  <td>{g.description ?? '—'}</td>
                  <td>{g.members}</td>
                  {admin ? (
                    <td>
                      <span className="button-row">
                        <button
                          type="button"
                          className="button small"
                          onClick={(e) => setOpen({ kind: 'members', group: g, opener: e.currentTarget })}
                        >
                          Members<span className="visually-hidden"> of {g.name}</span>
                        </button>
                        <button
                          type="button"
                          className="button small"
                          onClick={(e) => setOpen({ kind: 'add-member', group: g, opener: e.currentTarget })}
                        >
                          Add member<span className="visually-hidden"> to {g.name}</span>
                        </button>
                        <button
                          type="button"
                          className="button small"
                          onClick={(e) =>
                            setOpen({ kind: 'delete-user-group', group: g, opener: e.currentTarget })
                          }
                        >
                          Delete<span className="visually-hidden"> {g.name}</span>
                        </button>
                      </span>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      {open?.kind === 'new-resource-group' && resourceGroups ? (
        <NewResourceGroupDialog
          fields={resourceGroups.fields}
          operators={resourceGroups.operators}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onCreated={(name) => changed(`Resource group ${name} created`)}
        />
      ) : null}
      {open?.kind === 'delete-resource-group' ? (
        <ConfirmDialog
          title={`Delete the resource group ${open.name}?`}
          confirmLabel="Delete group"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            await api.deleteResourceGroup(open.id);
            changed(`Resource group ${open.name} deleted`, 'resource-groups-heading');
          }}
        >
          <p>The group is deleted; its resources stay.</p>
        </ConfirmDialog>
      ) : null}
      {open?.kind === 'new-user-group' ? (
        <NewUserGroupDialog
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onCreated={(name) => changed(`User group ${name} created`)}
        />
      ) : null}
      {open?.kind === 'add-member' ? (
        <AddMemberDialog
          group={open.group}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onAdded={(text) => changed(text)}
        />
      ) : null}
      {open?.kind === 'members' ? (
        <MembersDialog
          group={open.group}
          opener={open.opener}
          onClose={() => {
            setOpen(undefined);
            void reload();
          }}
          onChanged={(text) => setAnnouncement(text)}
        />
      ) : null}
      {open?.kind === 'delete-user-group' ? (
        <ConfirmDialog
          title={`Delete the user group ${open.group.name}?`}
          confirmLabel="Delete group"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            await api.deleteUserGroup(open.group.id);
            changed(`User group ${open.group.name} deleted`, 'user-groups-heading');
          }}
        >
          <p>The group and the shares made to it are deleted; its members stay.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

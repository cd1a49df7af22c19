import { api, type AccountSummary, type ResourceDetails } from '../../api';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { navigate } from '../../router';
import {
  ChangePasswordDialog,
  DownloadDialog,
  HistoryDialog,
  RotationsDialog,
  TotpDialog,
} from './AccountDialogs';
import { AddAccountDialog, EditAccountDialog } from './AccountForm';
import { EditResourceDialog } from './ResourceDialogs';

/** The management dialog open on the resource page, and the button that opened it. */
export type Manage =
  | { readonly kind: 'edit' | 'delete' | 'add-account'; readonly opener: HTMLElement | null }
  | {
      readonly kind: 'edit-account' | 'change' | 'history' | 'totp' | 'file' | 'rotations' | 'delete-account';
      readonly account: AccountSummary;
      readonly opener: HTMLElement | null;
    };

/** Whether the resource's accounts carry a file (File Store and the like). */
export function carriesFiles(resource: ResourceDetails): boolean {
  return /^(File|License|Key) Store$/.test(resource.type);
}

export function ManageDialogs({
  manage,
  resource,
  onClose,
  onChanged,
}: {
  manage: Manage;
  resource: ResourceDetails;
  onClose: () => void;
  /** After a change: close, announce, and load the resource again. */
  onChanged: (message: string) => void;
}) {
  const { opener } = manage;
  switch (manage.kind) {
    case 'edit':
      return (
        <EditResourceDialog
          resource={resource}
          opener={opener}
          onClose={onClose}
          onSaved={(name) => onChanged(`${name} saved`)}
        />
      );
    case 'delete':
      return (
        <ConfirmDialog
          title={`Delete ${resource.name}?`}
          confirmLabel="Delete resource"
          opener={opener}
          onClose={onClose}
          onConfirm={async () => {
            await api.deleteResource(resource.id);
            navigate({ name: 'resources' });
          }}
        >
          <p>The resource, its accounts and their password history are deleted. This cannot be undone.</p>
        </ConfirmDialog>
      );
    case 'add-account':
      return (
        <AddAccountDialog
          resourceId={resource.id}
          opener={opener}
          onClose={onClose}
          onAdded={(name) => onChanged(`Account ${name} added`)}
        />
      );
    case 'edit-account':
      return (
        <EditAccountDialog
          resourceId={resource.id}
          accountId={manage.account.id}
          accountName={manage.account.name}
          opener={opener}
          onClose={onClose}
          onSaved={(name) => onChanged(`Account ${name} saved`)}
        />
      );
    case 'change':
      return (
        <ChangePasswordDialog
          resourceId={resource.id}
          account={manage.account}
          opener={opener}
          onClose={onClose}
          onChanged={onChanged}
        />
      );
    case 'history':
      return (
        <HistoryDialog resourceId={resource.id} account={manage.account} opener={opener} onClose={onClose} />
      );
    case 'totp':
      return (
        <TotpDialog resourceId={resource.id} account={manage.account} opener={opener} onClose={onClose} />
      );
    case 'file':
      return (
        <DownloadDialog resourceId={resource.id} account={manage.account} opener={opener} onClose={onClose} />
      );
    case 'rotations':
      return (
        <RotationsDialog
          resourceId={resource.id}
          account={manage.account}
          opener={opener}
          onClose={onClose}
        />
      );
    case 'delete-account':
      return (
        <ConfirmDialog
          title={`Delete the account ${manage.account.name}?`}
          confirmLabel="Delete account"
          opener={opener}
          onClose={onClose}
          onConfirm={async () => {
            await api.deleteAccount(resource.id, manage.account.id);
            onChanged(`Account ${manage.account.name} deleted`);
          }}
        >
          <p>The account and its password history are deleted. This cannot be undone.</p>
        </ConfirmDialog>
      );
  }
}

/** The account's management buttons (the account's name is in each button's accessible name). */
export function AccountManageButtons({
  account,
  resource,
  onOpen,
}: {
  account: AccountSummary;
  resource: ResourceDetails;
  onOpen: (manage: Manage) => void;
}) {
  const of = <span className="visually-hidden"> of {account.name}</span>;
  const button = (kind: Extract<Manage, { account: AccountSummary }>['kind'], label: string, suffix = of) => (
    <button
      type="button"
      className="button small"
      onClick={(e) => onOpen({ kind, account, opener: e.currentTarget })}
    >
      {label}
      {suffix}
    </button>
  );
  return (
    <span className="button-row manage-row">
      {button('edit-account', 'Edit account', <span className="visually-hidden"> {account.name}</span>)}
      {button('change', 'Change password')}
      {button('history', 'Password history')}
      {account.totpPeriod !== null ? button('totp', 'TOTP') : null}
      {carriesFiles(resource) ? button('file', 'Download file') : null}
      {button('rotations', 'Rotations')}
      {button('delete-account', 'Delete account', <span className="visually-hidden"> {account.name}</span>)}
    </span>
  );
}

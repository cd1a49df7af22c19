import { api, type DirectoryUser } from '../api';
import { SearchPicker, type PickerSource } from './SearchPicker';

function display(user: DirectoryUser): string {
  return user.fullName ? `${user.username} (${user.fullName})` : user.username;
}

const USERS: PickerSource<DirectoryUser> = {
  search: (query, signal) => api.users(query, signal),
  keyOf: (user) => user.id,
  textOf: (user) => user.username,
  describe: display,
  option: (user) => (
    <>
      <span className="option-name">{user.username}</span>
      {user.fullName ? <span className="option-detail">{user.fullName}</span> : null}
      {user.isApiUser ? <span className="badge">API user</span> : null}
    </>
  ),
  noun: ['user', 'users'],
  hint: 'Type part of a user name or full name, then choose from the list.',
};

/** A user picker: the combobox over the server's user directory, searched as you type. */
export function UserPicker(props: {
  label: string;
  value: DirectoryUser | undefined;
  onChange: (user: DirectoryUser | undefined) => void;
  error?: string | undefined;
}) {
  return <SearchPicker {...props} source={USERS} />;
}

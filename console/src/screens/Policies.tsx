import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, describeRules, managesUsers, type PasswordPolicy, type Session } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { Heading } from '../components/Heading';
import { TableWrap } from '../components/TableWrap';
import { PolicyDialog } from './policies/PolicyDialog';

type Open =
  | { readonly kind: 'new'; readonly opener: HTMLElement | null }
  | {
      readonly kind: 'edit' | 'delete';
      readonly policy: PasswordPolicy;
      readonly opener: HTMLElement | null;
    };

/**
 * The password policies with their rules, for everyone (a user picks one by name); creating,
 * editing and deleting for administrators, as the server decides.
 */
export function Policies({ session }: { session: Session }) {
  const [policies, setPolicies] = useState<readonly PasswordPolicy[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  const [open, setOpen] = useState<Open | undefined>(undefined);
  const admin = managesUsers(session.user);

  const load = useCallback(async (focusAfter?: string) => {
    try {
      setPolicies((await api.passwordPolicies()).items);
      setError(undefined);
      if (focusAfter) window.setTimeout(() => document.getElementById(focusAfter)?.focus(), 0);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401))
        setError(err instanceof Error ? err.message : String(err));
    }
  }, []);

  useEffect(() => {
    void load();
  }, [load]);

  function changed(text: string, focusAfter?: string) {
    setOpen(undefined);
    setAnnouncement(text);
    void load(focusAfter);
  }

  return (
    <>
      <Heading title="Password policies">Password policies</Heading>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      <div className="section-title-row">
        <h2 id="policies-heading" className="section-heading" tabIndex={-1}>
          Policies
        </h2>
        {admin ? (
          <button
            type="button"
            className="button small"
            onClick={(e) => setOpen({ kind: 'new', opener: e.currentTarget })}
          >
            New policy
          </button>
        ) : null}
      </div>
      <p className="hint">
        Accounts, resources and users without a policy of their own follow the default policy.
      </p>
      {!policies ? (
        <p className="loading" role="status">
          Loading…
        </p>
      ) : (
        <TableWrap label="Password policies">
          <table className="accounts">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Rules</th>
                {admin ? (
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {policies.map((p) => (
                <tr key={p.id}>
                  <th scope="row">
                    {p.name}
                    {p.isDefault ? <span className="badge">Default</span> : null}
                    {p.builtIn ? <span className="cell-detail">Built in</span> : null}
                    {p.description ? <span className="cell-detail">{p.description}</span> : null}
                  </th>
                  <td>{describeRules(p.rules).join('; ')}</td>
                  {admin ? (
                    <td>
                      <span className="button-row">
                        <button
                          type="button"
                          className="button small"
                          onClick={(e) => setOpen({ kind: 'edit', policy: p, opener: e.currentTarget })}
                        >
                          Edit<span className="visually-hidden"> {p.name}</span>
                        </button>
                        {p.builtIn ? null : (
                          <button
                            type="button"
                            className="button small"
                            onClick={(e) => setOpen({ kind: 'delete', policy: p, opener: e.currentTarget })}
                          >
                            Delete<span className="visually-hidden"> {p.name}</span>
                          </button>
                        )}
                      </span>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}

      {open?.kind === 'new' ? (
        <PolicyDialog
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onSaved={(saved) => changed(`Password policy ${saved.name} created`)}
        />
      ) : null}
      {open?.kind === 'edit' ? (
        <PolicyDialog
          policy={open.policy}
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onSaved={(saved) => changed(`Password policy ${saved.name} saved`)}
        />
      ) : null}
      {open?.kind === 'delete' ? (
        <ConfirmDialog
          title={`Delete the password policy ${open.policy.name}?`}
          confirmLabel="Delete policy"
          opener={open.opener}
          onClose={() => setOpen(undefined)}
          onConfirm={async () => {
            await api.deletePasswordPolicy(open.policy.id);
            changed(`Password policy ${open.policy.name} deleted`, 'policies-heading');
          }}
        >
          <p>A policy that accounts, resources or users follow cannot be deleted.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}

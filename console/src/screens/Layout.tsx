import type { ReactNode } from 'react';
import { managesUsers, readsAudit, type Session } from '../api';
import type { Route } from '../router';

type Section =
  | 'dashboard'
  | 'resources'
  | 'ssh-keys'
  | 'certificates'
  | 'groups'
  | 'policies'
  | 'requests'
  | 'applications'
  | 'users'
  | 'jobs'
  | 'audit';

function sectionOf(route: Route): Section | undefined {
  switch (route.name) {
    case 'new-resource':
    case 'resource':
      return 'resources';
    case 'new-user':
      return 'users';
    case 'certificate':
      return 'certificates';
    case 'not-found':
    case 'account':
      return undefined;
    default:
      return route.name;
  }
}

/** The signed-in frame: skip link, header with the user and Sign out, main navigation, content. */
export function Layout({
  session,
  route,
  onSignOut,
  children,
}: {
  session: Session;
  route: Route;
  onSignOut: () => void;
  children: ReactNode;
}) {
  const section = sectionOf(route);
  const links: { readonly section: Section; readonly label: string }[] = [
    { section: 'dashboard', label: 'Dashboard' },
    { section: 'resources', label: 'Resources' },
    { section: 'certificates', label: 'Certificates' },
    { section: 'groups', label: 'Groups' },
    { section: 'ssh-keys', label: 'SSH keys' },
    { section: 'policies', label: 'Policies' },
    { section: 'requests', label: 'Requests' },
    ...(managesUsers(session.user)
      ? [
          { section: 'applications' as const, label: 'Applications' },
          { section: 'users' as const, label: 'Users' },
        ]
      : []),
    ...(managesUsers(session.user) ? [{ section: 'jobs' as const, label: 'Jobs' }] : []),
    ...(readsAudit(session.user) ? [{ section: 'audit' as const, label: 'Audit' }] : []),
  ];
  return (
    <>
      <a
        className="skip-link"
        href="#main-content"
        onClick={(event) => {
          // The fragment is the router's: move the focus without changing it.
          event.preventDefault();
          document.getElementById('main-content')?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <span className="brand">Bulwark</span>
          <nav aria-label="Main" className="main-nav">
            <ul>
              {links.map((link) => (
                <li key={link.section}>
                  <a
                    href={`#/${link.section}`}
                    aria-current={
                      section !== link.section ? undefined : route.name === link.section ? 'page' : 'true'
                    }
                  >
                    {link.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div className="user-area">
            <a
              className="user-name"
              href="#/account"
              title={`${session.user.role}: my account`}
              aria-current={route.name === 'account' ? 'page' : undefined}
            >
              <span className="visually-hidden">Signed in as </span>
              {session.user.username}
              <span className="visually-hidden">: my account</span>
            </a>
            <button type="button" className="button small" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main-content" className="app-main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

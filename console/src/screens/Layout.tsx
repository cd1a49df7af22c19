import type { ReactNode } from 'react';
import type { Session } from '../api';
import type { Route } from '../router';

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
  const inResources =
    route.name === 'resources' || route.name === 'new-resource' || route.name === 'resource';
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
              <li>
                <a
                  href="#/resources"
                  aria-current={route.name === 'resources' ? 'page' : inResources ? 'true' : undefined}
                >
                  Resources
                </a>
              </li>
            </ul>
          </nav>
          <div className="user-area">
            <span className="user-name" title={session.user.role}>
              <span className="visually-hidden">Signed in as </span>
              {session.user.username}
            </span>
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

import { useCallback, useEffect, useState } from 'react';
import {
  api,
  ApiError,
  managesUsers,
  onUnauthorised,
  readsAudit,
  setCsrfToken,
  type Enrolment,
  type Session,
} from './api';
import { clearClipboardNow } from './clipboard';
import { Heading } from './components/Heading';
import { SessionTimer } from './components/SessionTimer';
import { parseRoute, useHash, type Route } from './router';
import { Applications } from './screens/Applications';
import { Audit } from './screens/Audit';
import { CertificatePage } from './screens/CertificatePage';
import { Certificates } from './screens/Certificates';
import { Dashboard } from './screens/Dashboard';
import { Groups } from './screens/Groups';
import { Jobs } from './screens/Jobs';
import { Layout } from './screens/Layout';
import { Login } from './screens/Login';
import { MyAccount } from './screens/MyAccount';
import { NewResource } from './screens/NewResource';
import { NewUser } from './screens/NewUser';
import { Policies } from './screens/Policies';
import { RecoveryCodes } from './screens/RecoveryCodes';
import { ResourceList } from './screens/ResourceList';
import { ResourcePage } from './screens/ResourcePage';
import { Requests } from './screens/Requests';
import { SecondFactor } from './screens/SecondFactor';
import { SshKeys } from './screens/SshKeys';
import { Users } from './screens/Users';

type State =
  | { readonly phase: 'starting' }
  | { readonly phase: 'unavailable'; readonly message: string }
  | { readonly phase: 'login'; readonly notice?: string }
  | { readonly phase: 'second-factor'; readonly enrolment: Enrolment | undefined }
  | { readonly phase: 'recovery-codes'; readonly session: Session; readonly codes: readonly string[] }
  | { readonly phase: 'signed-in'; readonly session: Session };

export function App() {
  const [state, setState] = useState<State>({ phase: 'starting' });
  const hash = useHash();
  const route = parseRoute(hash);

  const start = useCallback(() => {
    setState({ phase: 'starting' });
    api.session().then(
      (session) => {
        setCsrfToken(session.csrfToken);
        setState({ phase: 'signed-in', session });
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) setState({ phase: 'login' });
        else setState({ phase: 'unavailable', message: err instanceof Error ? err.message : String(err) });
      },
    );
  }, []);

  useEffect(() => {
    onUnauthorised(() =>
      setState((current) =>
        current.phase === 'signed-in' || current.phase === 'recovery-codes'
          ? { phase: 'login', notice: 'Your session has ended. Sign in again.' }
          : current.phase === 'login'
            ? current
            : { phase: 'login' },
      ),
    );
    start();
    return () => onUnauthorised(undefined);
  }, [start]);

  async function signOut() {
    try {
      await api.logout();
    } catch {
      // Signed out locally either way; the server's session ends with its idle timeout.
    }
    setCsrfToken(undefined);
    void clearClipboardNow();
    // The next person to sign in starts from the dashboard, not from the page left open.
    window.history.replaceState(null, '', '#/dashboard');
    setState({ phase: 'login', notice: 'You have signed out.' });
  }

  switch (state.phase) {
    case 'starting':
      return (
        <main className="auth-page">
          <p className="loading" role="status">
            Loading…
          </p>
        </main>
      );
    case 'unavailable':
      return (
        <main className="auth-page">
          <div className="auth-card">
            <Heading title="Bulwark is unavailable">Bulwark is unavailable</Heading>
            <p role="alert">{state.message}</p>
            <button type="button" className="button primary" onClick={start}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'login':
      return (
        <Login
          notice={state.notice}
          onAnswer={(answer) =>
            setState({
              phase: 'second-factor',
              enrolment: answer.next === 'enrol' ? answer.enrolment : undefined,
            })
          }
        />
      );
    case 'second-factor':
      return (
        <SecondFactor
          enrolment={state.enrolment}
          onCancel={() => setState({ phase: 'login' })}
          onAnswer={(answer) =>
            setState(
              answer.recoveryCodes && answer.recoveryCodes.length > 0
                ? { phase: 'recovery-codes', session: answer.session, codes: answer.recoveryCodes }
                : { phase: 'signed-in', session: answer.session },
            )
          }
        />
      );
    case 'recovery-codes':
      return (
        <RecoveryCodes
          codes={state.codes}
          onDone={() => setState({ phase: 'signed-in', session: state.session })}
        />
      );
    case 'signed-in':
      return (
        <Layout session={state.session} route={route} onSignOut={() => void signOut()}>
          <SessionTimer session={state.session} />
          <Screen route={route} session={state.session} />
        </Layout>
      );
  }
}

function NotPermitted({ title, children }: { title: string; children: string }) {
  return (
    <>
      <Heading title={title}>{title}</Heading>
      <p role="alert" className="alert alert-error">
        {children}
      </p>
    </>
  );
}

function Screen({ route, session }: { route: Route; session: Session }) {
  switch (route.name) {
    case 'dashboard':
      return <Dashboard />;
    case 'resources':
      // A new group in the address starts the list again with that filter.
      return <ResourceList key={route.group ?? 'all'} group={route.group} />;
    case 'new-resource':
      return <NewResource />;
    case 'resource':
      return <ResourcePage key={route.id} id={route.id} session={session} />;
    case 'requests':
      return <Requests session={session} />;
    case 'groups':
      return <Groups session={session} />;
    case 'ssh-keys':
      return <SshKeys />;
    case 'applications':
      return managesUsers(session.user) ? (
        <Applications />
      ) : (
        <NotPermitted title="Applications">Only administrators manage applications.</NotPermitted>
      );
    case 'certificates':
      return <Certificates />;
    case 'certificate':
      return <CertificatePage key={route.id} id={route.id} />;
    case 'jobs':
      return <Jobs />;
    case 'policies':
      return <Policies session={session} />;
    case 'account':
      return <MyAccount session={session} />;
    case 'users':
      return managesUsers(session.user) ? (
        <Users />
      ) : (
        <NotPermitted title="Users">Only administrators manage users.</NotPermitted>
      );
    case 'new-user':
      return managesUsers(session.user) ? (
        <NewUser clipboardClearSeconds={session.clipboardClearSeconds} />
      ) : (
        <NotPermitted title="New user">Only administrators manage users.</NotPermitted>
      );
    case 'audit':
      // The server decides; the screen shows its refusal too (a role it does not know here).
      return readsAudit(session.user) ? (
        <Audit />
      ) : (
        <NotPermitted title="Audit">
          You do not have access to the audit trail. Administrators and password auditors do.
        </NotPermitted>
      );
    case 'not-found':
      return (
        <>
          <Heading title="Page not found">Page not found</Heading>
          <p>
            There is nothing at this address. <a href="#/dashboard">Go to the dashboard</a>.
          </p>
        </>
      );
  }
}

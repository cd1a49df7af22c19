import { useEffect, useState, useSyncExternalStore } from 'react';
import { api, ApiError, sessionEndsAt, subscribeSessionEnd, type Session } from '../api';
import { formatRemaining, remainingWords } from '../time';

/** The warning shows this long before the end (at most half the idle timeout). */
const WARN_SECONDS = 120;

/**
 * Warns before the session ends. The server says, on every answer, how many seconds are left
 * without another request (the idle timeout, or the session's absolute end when that comes
 * first); this counts down from the latest answer. Before an idle end, `Stay signed in` sends a
 * request, which renews the idle timer; an absolute end cannot be put off. Once the time is up
 * the session is asked for once more: the server's 401 takes the user to the sign-in screen.
 */
export function SessionTimer({ session }: { session: Session }) {
  const endsAt = useSyncExternalStore(subscribeSessionEnd, sessionEndsAt);
  const [now, setNow] = useState(() => performance.now());
  const [message, setMessage] = useState<string | undefined>();

  useEffect(() => {
    const timer = setInterval(() => setNow(performance.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  const secondsLeft = endsAt === undefined ? undefined : Math.ceil((endsAt - now) / 1000);
  // A couple of seconds past the end, so the check cannot be what renews a session still alive.
  const over = secondsLeft !== undefined && secondsLeft <= -2;
  useEffect(() => {
    if (!over) return;
    api.session().catch((err: unknown) => {
      if (!(err instanceof ApiError && err.status === 401)) setMessage('The session could not be checked.');
    });
  }, [over]);

  const warnAt = Math.min(WARN_SECONDS, Math.floor(session.idleTimeoutSeconds / 2));
  if (secondsLeft === undefined || secondsLeft > warnAt) return null;
  const left = Math.max(0, secondsLeft);
  // The absolute end is when the idle timer cannot reach: a request would not move it.
  const absoluteLeft = (session.expiresAt - Date.now()) / 1000;
  const absolute = absoluteLeft <= left + 5;

  async function stay() {
    setMessage(undefined);
    try {
      await api.session();
      setMessage('You are still signed in.');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) {
        setMessage(err instanceof Error ? err.message : String(err));
      }
    }
  }

  // The heading is announced once, when the warning appears; the countdown is not a live region
  // (it would speak every second) and says the time in words too.
  return (
    <section className="session-warning" aria-labelledby="session-warning-title">
      <div role="alert">
        <h2 id="session-warning-title">
          {absolute ? 'Your session reaches its time limit' : 'Your session is about to end'}
        </h2>
      </div>
      <p>
        {absolute
          ? 'It ends however active you are. Finish what you are doing, then sign in again. Time left: '
          : 'You have been inactive. Unless you continue, it ends in '}
        <span aria-hidden="true">{formatRemaining(left * 1000)}</span>
        <span className="visually-hidden">{remainingWords(left * 1000)}</span>.
      </p>
      {absolute ? null : (
        <p className="button-row">
          <button type="button" className="button primary" onClick={() => void stay()}>
            Stay signed in
          </button>
        </p>
      )}
      {message ? (
        <p className="hint" role="status">
          {message}
        </p>
      ) : null}
    </section>
  );
}

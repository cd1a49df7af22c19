import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';

/** An error's text for the screen (the server's message for an ApiError). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * What a list screen shares: the data `fetch` answers (loaded when the screen opens), the
 * screen's error, and its announcement (the polite status a dialog's outcome is told in).
 * `reload(focusAfter)` fetches again and then moves the focus to the element with that id, for
 * when the row that had it is gone; it answers whether the fetch succeeded. A 401 is left to
 * the session handler (back to the sign-in screen), so it never shows as the screen's error.
 * `changed(text, focusAfter)` is what a dialog calls after it changed something.
 */
export function useScreenData<T>(fetch: () => Promise<T>) {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [announcement, setAnnouncement] = useState('');
  // The latest fetch (it may close over the screen's filters) without reloading on each render.
  const latest = useRef(fetch);
  latest.current = fetch;

  const reload = useCallback(async (focusAfter?: string): Promise<boolean> => {
    try {
      setData(await latest.current());
      setError(undefined);
      if (focusAfter) window.setTimeout(() => document.getElementById(focusAfter)?.focus(), 0);
      return true;
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) setError(errorMessage(err));
      return false;
    }
  }, []);

  useEffect(() => {
    void reload();
  }, [reload]);

  const changed = useCallback(
    (text: string, focusAfter?: string) => {
      setAnnouncement(text);
      void reload(focusAfter);
    },
    [reload],
  );

  return { data, error, setError, announcement, setAnnouncement, reload, changed };
}

/**
 * A screen's two live regions: the polite announcement of what just happened (always rendered,
 * so that a screen reader hears each new text) and the screen's error as an alert.
 */
export function ScreenStatus({ announcement, error }: { announcement: string; error: string | undefined }) {
  return (
    <>
      <p className="announcer" role="status" aria-live="polite">
        {announcement}
      </p>
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
    </>
  );
}

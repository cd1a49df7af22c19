/**
 * A form's own error (not a field's): always rendered, so a screen reader announces the message
 * when it appears; empty, it takes no space.
 */
export function FormAlert({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className={message ? 'alert alert-error' : 'alert-empty'}>
      {message}
    </div>
  );
}

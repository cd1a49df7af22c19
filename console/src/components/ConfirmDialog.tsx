import { useState, type ReactNode } from 'react';
import { ApiError } from '../api';
import { Dialog } from './Dialog';

/**
 * "Are you sure?" for an action on the server: the action runs on Confirm; a refusal is shown
 * inside the dialog, which stays open; success closes it (the focus returns to the opener).
 */
export function ConfirmDialog({
  title,
  confirmLabel,
  opener,
  onConfirm,
  onClose,
  children,
  dismissLabel = 'Cancel',
}: {
  title: string;
  confirmLabel: string;
  opener: HTMLElement | null;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  children: ReactNode;
  /** The button that closes without acting ("Cancel" unless that would read as the action itself). */
  dismissLabel?: string;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);

  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  }

  return (
    <Dialog title={title} onClose={onClose} returnFocusTo={opener}>
      {children}
      {error ? (
        <p role="alert" className="alert alert-error">
          {error}
        </p>
      ) : null}
      <p className="button-row">
        <button type="button" className="button primary" disabled={busy} onClick={() => void confirm()}>
          {confirmLabel}
        </button>
        <button type="button" className="button" onClick={onClose}>
          {dismissLabel}
        </button>
      </p>
    </Dialog>
  );
}

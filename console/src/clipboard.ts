/**
 * Copying secrets: the clipboard is emptied after the session's clipboardClearSeconds, when it
 * still holds what the console wrote (when the browser lets us read it without asking; otherwise
 * it is emptied anyway). The timer is the module's, so leaving the page does not cancel it.
 */

let pending: { readonly timer: number; readonly text: string } | undefined;

async function clipboardReadable(): Promise<boolean> {
  try {
    const status = await navigator.permissions.query({ name: 'clipboard-read' as PermissionName });
    return status.state === 'granted';
  } catch {
    return false;
  }
}

async function empty(text: string): Promise<void> {
  if (await clipboardReadable()) {
    try {
      if ((await navigator.clipboard.readText()) !== text) return;
    } catch {
      // Unreadable after all: empty it anyway.
    }
  }
  try {
    await navigator.clipboard.writeText('');
  } catch {
    // Browsers refuse clipboard writes while the page is not focused: try again when it is.
    window.addEventListener('focus', () => void empty(text), { once: true });
  }
}

export async function copySecret(text: string, clearAfterSeconds: number): Promise<void> {
  await navigator.clipboard.writeText(text);
  if (pending) window.clearTimeout(pending.timer);
  const timer = window.setTimeout(() => void clearClipboardNow(), Math.max(1, clearAfterSeconds) * 1000);
  pending = { timer, text };
}

/** Empties the clipboard now if the console put a secret there (sign out calls this). */
export async function clearClipboardNow(): Promise<void> {
  const current = pending;
  if (!current) return;
  pending = undefined;
  window.clearTimeout(current.timer);
  await empty(current.text);
}

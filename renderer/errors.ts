import { messageOf } from '../core/errors.js';
import type { UiError } from '../electron/ipc/schema.js';

/**
 * Whatever an invoke rejected with, as a UiError. Main sends UiErrors; Electron's ipcRenderer.invoke keeps only an
 * Error's message (prefixed "Error invoking remote method '…': "), so a JSON-encoded UiError in it is unwrapped too.
 */
export function asUiError(err: unknown): UiError {
  if (isUiError(err)) return err;
  if (err instanceof Error) {
    const json = err.message.indexOf('{');
    if (json >= 0) {
      try {
        const parsed: unknown = JSON.parse(err.message.slice(json));
        if (isUiError(parsed)) return parsed;
      } catch {
        // not an encoded UiError: fall through to the generic sentence
      }
    }
  }
  return { code: 'unexpected', message: 'Something went wrong. Please try again.', detail: messageOf(err) };
}

function isUiError(value: unknown): value is UiError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string';
}

/**
 * Failures as the UI shows them. Handlers reject with a CommandFailure: Electron's ipcRenderer.invoke keeps only an
 * Error's message, so the UiError travels as JSON inside it (renderer/errors.ts unwraps it).
 */

import { isOutpostError, messageOf } from '../../core/errors.js';
import type { UiError } from '../ipc/schema.js';

export class CommandFailure extends Error {
  readonly uiError: UiError;

  constructor(uiError: UiError) {
    super(JSON.stringify(uiError));
    this.name = 'CommandFailure';
    this.uiError = uiError;
  }
}

export function fail(code: string, message: string, detail?: string): CommandFailure {
  return new CommandFailure(detail === undefined ? { code, message } : { code, message, detail });
}

/** Any thrown value as a UiError: OutpostError keeps its sentence, anything else gets a generic one. */
export function toUiError(error: unknown): UiError {
  if (error instanceof CommandFailure) return error.uiError;
  if (isOutpostError(error)) {
    return error.detail === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, detail: error.detail };
  }
  return { code: 'unexpected', message: 'Something went wrong. Please try again.', detail: messageOf(error) };
}

export function toFailure(error: unknown): CommandFailure {
  return error instanceof CommandFailure ? error : new CommandFailure(toUiError(error));
}

import { OutpostError } from '../errors.js';

/** A failure to set up this computer's side of the tunnel: it repeats on the next attempt, so it ends the connection. */
export function adapterError(message: string, detail: string, cause?: unknown): OutpostError {
  return new OutpostError('adapter', message, cause === undefined ? { detail } : { detail, cause });
}

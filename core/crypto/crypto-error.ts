import { OutpostError } from '../errors.js';

/**
 * A transform used outside its contract (wrong key length, unpadded block input, prf+ overrun). These are bugs in
 * the caller, not peer behaviour, so the sentence stays generic and the detail says which rule was broken.
 */
export function cryptoError(detail: string): OutpostError {
  return new OutpostError('crypto', 'An internal cryptographic error occurred.', { detail });
}

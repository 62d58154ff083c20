/**
 * The words for a PKCS#12 that cannot be opened, shared by both readers (pkijs in pkcs12.ts, OpenSSL in
 * eap/pkcs12.ts). A module of its own so that the OpenSSL reader, which the app loads at start, does not load pkijs.
 */
import { OutpostError } from '../errors.js';

export function pkcs12Unreadable(detail: string, wrongPassphrase = false): OutpostError {
  return new OutpostError(
    'profile-invalid',
    wrongPassphrase
      ? 'The password of your certificate file (PKCS#12) is wrong.'
      : 'Your certificate file (PKCS#12) could not be read.',
    { detail },
  );
}

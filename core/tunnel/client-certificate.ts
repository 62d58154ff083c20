/**
 * The user's PKCS#12 opened before connecting, for the command line and the app alike: a wrong passphrase or an
 * expired certificate is said at once. EAP-TLS hands the file to TLS; IKEv2 certificate authentication signs with the
 * key itself, so the key is taken out of the file here.
 */
import { openPkcs12 } from '../crypto/pkcs12.js';
import { checkPkcs12Validity, readPkcs12 } from '../eap/pkcs12.js';
import type { AuthMethodName } from '../profile/types.js';
import type { Credentials } from './session-config.js';

export async function openClientCertificate(
  auth: AuthMethodName,
  pfx: Uint8Array,
  passphrase: string,
  now: Date,
): Promise<Pick<Credentials, 'clientCertificate' | 'signingCredential'>> {
  checkPkcs12Validity(readPkcs12(pfx, passphrase), now);
  return {
    clientCertificate: { pfx, passphrase },
    signingCredential: auth === 'cert' ? await openPkcs12(pfx, passphrase) : undefined,
  };
}

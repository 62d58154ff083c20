/**
 * AUTH payload octets (RFC 7296 §2.15): what each side signs or MACs, and the check of the gateway's AUTH.
 */

import type { X509Certificate } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import type { Prf } from '../crypto/prf.js';
import { parseDigitalSignatureAuth, schemeForAuthMethod, verifySignature } from '../crypto/signature.js';
import { OutpostError } from '../errors.js';
import { AuthMethod } from '../iana.js';
import type { AuthPayload, IdPayload } from './message/types.js';

const KEY_PAD = Buffer.from('Key Pad for IKEv2', 'ascii');

/** The ID payload body as MACed into the signed octets: ID type, 3 reserved bytes, data. */
function idBody(id: IdPayload): Uint8Array {
  const body = new Uint8Array(4 + id.data.length);
  body[0] = id.idType;
  body.set(id.data, 4);
  return body;
}

/** <SignedOctets> = RealMessage | NonceOfPeer | prf(SK_p, IDPayloadBody) */
export function signedOctets(
  realMessage: Uint8Array,
  peerNonce: Uint8Array,
  prf: Prf,
  skP: Uint8Array,
  id: IdPayload,
): Uint8Array {
  return Buffer.concat([realMessage, peerNonce, prf.compute(skP, idBody(id))]);
}

/** AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>), for PSK and EAP (MSK or SK_p) rounds. */
export function sharedKeyAuth(prf: Prf, secret: Uint8Array, octets: Uint8Array): Uint8Array {
  return prf.compute(prf.compute(secret, KEY_PAD), octets);
}

export type GatewayCredential =
  | { kind: 'certificate'; certificate: X509Certificate }
  | { kind: 'shared-key'; key: Uint8Array };

function invalid(detail: string): OutpostError {
  return new OutpostError(
    'gateway-auth-invalid',
    'The gateway could not prove its identity. Do not retry; tell your IT department.',
    { detail },
  );
}

/**
 * Checks the gateway's AUTH payload; throws a gateway-auth-invalid error unless it is valid for this credential.
 * AUTH method 1 (RSA with SHA-1, RFC 7296 §3.8) is what older gateways send: SHA-1 signatures can be forged, so it
 * counts only when `legacySignatures` allows it, and the result says it was used so the user can be warned.
 */
export function verifyGatewayAuth(
  auth: AuthPayload,
  octets: Uint8Array,
  prf: Prf,
  credential: GatewayCredential,
  legacySignatures: boolean,
): { legacy: boolean } {
  if (credential.kind === 'shared-key') {
    if (auth.method !== AuthMethod.SHARED_KEY_MIC)
      throw invalid(`expected a shared-key AUTH, got method ${auth.method}`);
    const expected = sharedKeyAuth(prf, credential.key, octets);
    if (expected.length !== auth.data.length || !timingSafeEqual(expected, auth.data)) {
      throw invalid('shared-key AUTH value does not match');
    }
    return { legacy: false };
  }
  const legacy = auth.method === AuthMethod.RSA_SIGNATURE;
  if (legacy && !legacySignatures) {
    throw new OutpostError(
      'gateway-auth-invalid',
      'The gateway proves its identity with an outdated signature (SHA-1) that can be forged. Ask IT to update the gateway, or to allow legacy signatures in the profile.',
      { detail: 'AUTH method 1 (RSA/SHA-1) refused: the profile does not allow legacy signatures' },
    );
  }
  const key = credential.certificate.publicKey;
  let ok: boolean;
  if (auth.method === AuthMethod.DIGITAL_SIGNATURE) {
    const { scheme, signature } = parseDigitalSignatureAuth(auth.data);
    if (scheme.kind !== 'ed25519' && scheme.hash === 'sha1') throw invalid('RFC 7427 signature with SHA-1 refused');
    ok = verifySignature(key, scheme, octets, signature, 'der');
  } else {
    const scheme = schemeForAuthMethod(auth.method);
    if (!scheme) throw invalid(`unsupported AUTH method ${auth.method}`);
    ok = verifySignature(key, scheme, octets, auth.data, 'ieee-p1363');
  }
  if (!ok) throw invalid(`signature (AUTH method ${auth.method}) does not verify with the gateway certificate`);
  return { legacy };
}

/**
 * What the engine does next with the payloads of a decrypted message, so the fuzzers follow the bytes past the
 * payload decoders into the decoders of their contents: configuration replies, EAP packets, certificates, identities,
 * a gateway's REDIRECT (RFC 5685),
 * the gateway's AUTH (checked against the certificate it came with, or a PSK).
 */
import type { X509Certificate } from 'node:crypto';
import { PRF_HMAC_SHA2_256 } from '../../core/crypto/prf.js';
import { parseCertificateDer } from '../../core/crypto/x509/certificate.js';
import { decodeEap } from '../../core/eap/packet.js';
import { CertEncoding, CfgType, NotifyType, PayloadType } from '../../core/iana.js';
import { parseConfigReply } from '../../core/ike/config-payload.js';
import { certificateMatchesIdentity, formatIdentity } from '../../core/ike/identity.js';
import { type GatewayCredential, verifyGatewayAuth } from '../../core/ike/auth.js';
import type { AuthPayload, Payload } from '../../core/ike/message/types.js';
import { parseRedirect } from '../../core/ike/redirect.js';
import { isOutpostError } from '../../core/errors.js';

export function decodeReceived(payloads: readonly Payload[]): void {
  const certificates: X509Certificate[] = [];
  for (const payload of payloads) {
    switch (payload.type) {
      case PayloadType.CP:
        if (payload.cfgType === CfgType.REPLY) parseConfigReply(payload);
        break;
      case PayloadType.EAP:
        decodeEap(payload.message);
        break;
      case PayloadType.CERT:
        if (payload.encoding === CertEncoding.X509_SIGNATURE) certificates.push(parseCertificateDer(payload.data));
        break;
      case PayloadType.IDi:
      case PayloadType.IDr:
        formatIdentity(payload.idType, payload.data);
        break;
      case PayloadType.NOTIFY:
        if (payload.notifyType === NotifyType.REDIRECT) parseRedirect(payload.data);
        break;
    }
  }
  const idr = payloads.find((p) => p.type === PayloadType.IDr);
  if (idr?.type === PayloadType.IDr) {
    for (const certificate of certificates) certificateMatchesIdentity(certificate, idr.idType, idr.data);
  }
  const auth = payloads.find((p) => p.type === PayloadType.AUTH);
  if (auth?.type === PayloadType.AUTH) checkGatewayAuth(auth, certificates[0]);
}

/** The signed octets themselves do not matter here: the fuzzer's AUTH values never verify, they must only be judged. */
const SIGNED_OCTETS = new Uint8Array(64).fill(0x42);
/** How verifyGatewayAuth refuses an AUTH: the gateway did not prove itself, or signs in a way we do not support. */
const AUTH_REFUSALS: ReadonlySet<string> = new Set(['gateway-auth-invalid', 'unsupported']);

function checkGatewayAuth(auth: AuthPayload, certificate: X509Certificate | undefined): void {
  const credential: GatewayCredential = certificate
    ? { kind: 'certificate', certificate }
    : { kind: 'shared-key', key: Buffer.from('secret') };
  try {
    verifyGatewayAuth(auth, SIGNED_OCTETS, PRF_HMAC_SHA2_256, credential, false);
  } catch (error) {
    // a malformed AUTH goes on as the DecodeError it is
    if (!(isOutpostError(error) && AUTH_REFUSALS.has(error.code))) throw error;
  }
}

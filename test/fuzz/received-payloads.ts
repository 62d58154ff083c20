/**
 * What the engine does next with the payloads of a decrypted message, so the fuzzers follow the bytes past the
 * payload decoders into the decoders of their contents: configuration replies, EAP packets, certificates, identities.
 */
import { parseCertificateDer } from '../../core/crypto/x509/certificate.js';
import { decodeEap } from '../../core/eap/packet.js';
import { CertEncoding, CfgType, PayloadType } from '../../core/iana.js';
import { parseConfigReply } from '../../core/ike/config-payload.js';
import { certificateMatchesIdentity, formatIdentity } from '../../core/ike/identity.js';
import type { Payload } from '../../core/ike/message/types.js';

export function decodeReceived(payloads: readonly Payload[]): void {
  const certificates = [];
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
    }
  }
  const idr = payloads.find((p) => p.type === PayloadType.IDr);
  if (idr?.type === PayloadType.IDr) {
    for (const certificate of certificates) certificateMatchesIdentity(certificate, idr.idType, idr.data);
  }
}

/**
 * The private key and certificates of a PKCS#12 file (RFC 7292), for IKEv2 certificate authentication, which signs
 * with the key itself. node:crypto and node:tls open PKCS#12 only into a TLS context, never handing out the key, so
 * pkijs reads the file (PBES2 with PBKDF2 and AES, what OpenSSL 3 and current exporters write). The legacy
 * encryptions (RC2, 3DES with the PKCS#12 KDF) are refused in words: re-exporting the file fixes them.
 */
import { createPrivateKey, createPublicKey, type KeyObject, X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { OutpostError } from '../errors.js';
import { pkcs12Unreadable } from './pkcs12-error.js';

export interface SigningCredential {
  /** The certificate that goes with the key. */
  certificate: X509Certificate;
  /** The other certificates of the file (intermediate CAs), sent along so the gateway can build the chain. */
  chain: X509Certificate[];
  key: KeyObject;
}

const BAG = {
  shroudedKey: '1.2.840.113549.1.12.10.1.2',
  certificate: '1.2.840.113549.1.12.10.1.3',
} as const;

function arrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}

/** Opens the file with its passphrase; throws 'profile-invalid' in words when that fails. */
export async function openPkcs12(pfxBytes: Uint8Array, passphrase: string): Promise<SigningCredential> {
  const password = arrayBuffer(new TextEncoder().encode(passphrase));
  const keys: KeyObject[] = [];
  const certificates: X509Certificate[] = [];
  try {
    const pfx = pkijs.PFX.fromBER(arrayBuffer(pfxBytes));
    await pfx.parseInternalValues({ password, checkIntegrity: true });
    const safe = pfx.parsedValue?.authenticatedSafe;
    if (!safe) throw new Error('no authenticated safe');
    await safe.parseInternalValues({ safeContents: safe.safeContents.map(() => ({ password })) });
    for (const contents of safe.parsedValue?.safeContents ?? []) {
      for (const bag of contents.value.safeBags) {
        if (bag.bagId === BAG.shroudedKey && bag.bagValue instanceof pkijs.PKCS8ShroudedKeyBag) {
          await bag.bagValue.parseInternalValues({ password });
          const info = bag.bagValue.parsedValue;
          if (!info) throw new Error('key bag not decrypted');
          const der = Buffer.from(info.toSchema().toBER());
          keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
        } else if (bag.bagId === BAG.certificate && bag.bagValue instanceof pkijs.CertBag) {
          const cert = bag.bagValue.parsedValue;
          if (cert instanceof pkijs.Certificate)
            certificates.push(new X509Certificate(Buffer.from(cert.toSchema().toBER())));
        }
      }
    }
  } catch (error) {
    const message = (error as Error).message;
    if (/integrity|mac/i.test(message)) throw pkcs12Unreadable(message, true);
    if (/Unknown "contentEncryptionAlgorithm"|encryptionAlgorithm/.test(message)) {
      throw new OutpostError(
        'unsupported',
        'Your certificate file (PKCS#12) uses an old encryption (RC2 or 3DES) this app does not read. Ask IT to export it again with AES.',
        { detail: message },
      );
    }
    throw pkcs12Unreadable(message);
  }
  const [key, ...extraKeys] = keys;
  if (!key || extraKeys.length > 0) {
    throw pkcs12Unreadable(`${keys.length} private keys in the file, expected one`);
  }
  const ownPublic = createPublicKey(key).export({ format: 'der', type: 'spki' });
  const certificate = certificates.find(
    (c) => Buffer.compare(c.publicKey.export({ format: 'der', type: 'spki' }), ownPublic) === 0,
  );
  if (!certificate) {
    throw new OutpostError('profile-invalid', 'Your certificate file (PKCS#12) holds no certificate for its key.');
  }
  return { certificate, chain: certificates.filter((c) => c !== certificate), key };
}

/**
 * The gateway's AUTH: RSA with SHA-1 (AUTH method 1), what old gateways send, is refused unless the profile allows
 * legacy signatures, and then reported as legacy so the user is warned; a forged one is refused either way.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { getPrf } from '../crypto/registry.js';
import { cert, fixtureFile, makeCertificates, removeCertificates } from '../crypto/x509/test-support.js';
import { isOutpostError } from '../errors.js';
import { AuthMethod, PayloadType, PrfId } from '../iana.js';
import { type GatewayCredential, sharedKeyAuth, verifyGatewayAuth } from './auth.js';
import type { AuthPayload } from './message/types.js';

before(makeCertificates);
after(removeCertificates);

const prf = getPrf(PrfId.HMAC_SHA2_256)!;
const octets = new TextEncoder().encode('the signed octets of RFC 7296 §2.15');

function rsaSha1Auth(data: Uint8Array = octets): AuthPayload {
  const key = createPrivateKey({ key: readFileSync(fixtureFile('rsaGateway.key')), format: 'der', type: 'pkcs1' });
  return { type: PayloadType.AUTH, method: AuthMethod.RSA_SIGNATURE, data: sign('sha1', data, key) };
}

describe('verifyGatewayAuth', () => {
  const credential = (): GatewayCredential => ({ kind: 'certificate', certificate: cert('rsaGateway') });

  it('refuses RSA/SHA-1 (method 1) unless legacy signatures are allowed, then says it was legacy', () => {
    assert.throws(
      () => verifyGatewayAuth(rsaSha1Auth(), octets, prf, credential(), false),
      (e: unknown) =>
        isOutpostError(e) && e.code === 'gateway-auth-invalid' && /outdated signature \(SHA-1\)/.test(e.message),
    );
    assert.deepEqual(verifyGatewayAuth(rsaSha1Auth(), octets, prf, credential(), true), { legacy: true });
  });

  it('refuses a method-1 signature over other octets even when legacy signatures are allowed', () => {
    const forged = rsaSha1Auth(new TextEncoder().encode('something else'));
    assert.throws(
      () => verifyGatewayAuth(forged, octets, prf, credential(), true),
      (e: unknown) => isOutpostError(e) && e.code === 'gateway-auth-invalid' && /does not verify/.test(e.detail ?? ''),
    );
  });

  it('a shared-key AUTH is never legacy', () => {
    const key = new TextEncoder().encode('secret');
    const auth: AuthPayload = {
      type: PayloadType.AUTH,
      method: AuthMethod.SHARED_KEY_MIC,
      data: sharedKeyAuth(prf, key, octets),
    };
    assert.deepEqual(verifyGatewayAuth(auth, octets, prf, { kind: 'shared-key', key }, false), { legacy: false });
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutpostError } from '../errors.js';
import { authNeeds, checkAuthSetting } from './auth-rules.js';
import { AUTH_METHODS } from './types.js';

test('EAP methods need a username and a gateway CA; PSK takes no username and a CA only for a certificate gateway; cert a CA and a PKCS#12 but no username', () => {
  for (const auth of AUTH_METHODS) {
    const clientCertificate = auth === 'eap-tls' || auth === 'cert' ? 'required' : 'unused';
    const expected =
      auth === 'psk'
        ? { username: 'unused', gatewayCa: 'optional', clientCertificate }
        : auth === 'cert'
          ? { username: 'unused', gatewayCa: 'required', clientCertificate }
          : { username: 'required', gatewayCa: 'required', clientCertificate };
    assert.deepEqual(authNeeds(auth), expected, auth);
  }
});

test("a missing or unused setting is refused with the source's own error", () => {
  const refuse = {
    missing: () => new OutpostError('profile-invalid', 'missing'),
    unused: () => new OutpostError('profile-invalid', 'unused'),
  };
  assert.throws(() => checkAuthSetting('eap-gtc', 'username', false, refuse), /^OutpostError: missing$/);
  assert.throws(() => checkAuthSetting('psk', 'username', true, refuse), /^OutpostError: unused$/);
  checkAuthSetting('eap-gtc', 'username', true, refuse);
  checkAuthSetting('psk', 'gatewayCa', false, refuse);
  checkAuthSetting('psk', 'gatewayCa', true, refuse);
});

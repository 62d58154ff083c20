/**
 * AUTHENTICATION_FAILED means the user's secret was refused only once the gateway has proven who it is; before that it
 * may come from whoever answered IKE_SA_INIT (RFC 7296 §2.21.2), so it is a gateway error that does not end retrying.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOutpostError } from '../../errors.js';
import { NotifyType } from '../../iana.js';
import { isFinal } from '../../tunnel/reconnect-policy.js';
import type { AuthRound } from '../config.js';
import { notify } from '../message/index.js';
import { establishedSa, testSessionConfig } from '../test-support.js';
import { IkeAuthTask } from './ike-auth.js';

function refusal(rounds: AuthRound[]): unknown {
  const task = new IkeAuthTask(testSessionConfig({ rounds }), establishedSa(), () => {});
  task.build();
  try {
    task.process({
      header: undefined as never,
      payloads: [notify(NotifyType.AUTHENTICATION_FAILED)],
      raw: new Uint8Array(0),
    });
  } catch (error) {
    return error;
  }
  return undefined;
}

test('AUTHENTICATION_FAILED before the gateway proved itself is a gateway error, not a refused secret, and not final', () => {
  const psk = refusal([{ kind: 'psk', psk: Buffer.from('secret') }]);
  assert.ok(isOutpostError(psk));
  assert.equal(psk.code, 'gateway-error');
  assert.match(psk.message, /before proving who it is, so Outpost cannot tell whether your pre-shared key/);
  assert.equal(isFinal(psk), false);
  const eap = refusal([
    { kind: 'eap', method: 'mschapv2', identity: 'alice', secret: () => 'pw', secretKind: 'password' },
  ]);
  assert.ok(isOutpostError(eap));
  assert.equal(eap.code, 'gateway-error');
  assert.match(eap.message, /your password was wrong/);
});

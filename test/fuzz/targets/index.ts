/** Every fuzz target, in the order the runner reports them. */
import type { FuzzTarget } from '../target.js';
import { configPayloadTarget } from './config-payload.js';
import { eapTarget } from './eap.js';
import { espTarget } from './esp.js';
import { ikeEncryptedTarget } from './ike-encrypted.js';
import { ikeFragmentsTarget } from './ike-fragments.js';
import { ikeMessageTarget } from './ike-message.js';
import { profileTarget } from './profile.js';
import { tlsFragmentsTarget } from './tls-fragments.js';
import { x509Target } from './x509.js';

export const TARGETS: readonly FuzzTarget[] = [
  ikeMessageTarget,
  ikeEncryptedTarget,
  ikeFragmentsTarget,
  configPayloadTarget,
  eapTarget,
  tlsFragmentsTarget,
  espTarget,
  x509Target,
  profileTarget,
];

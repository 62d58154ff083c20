/** EAP-GTC (RFC 3748 §5.6): the response is the secret (here: a one-time code or password) as UTF-8. No MSK. */
import type { OutpostError } from '../errors.js';
import {
  type EapMethod,
  type MethodCredentials,
  type MethodOutcome,
  type MethodReply,
  signInRejected,
  unexpectedMessage,
} from './method.js';
import { EapType } from './packet.js';

export class GtcMethod implements EapMethod {
  readonly type = EapType.GTC;
  started = false;

  constructor(private readonly credentials: MethodCredentials) {}

  // The request's text is a prompt for a human ("password"); the secret callback already stands for that prompt.
  request(): MethodReply {
    this.started = true;
    return { kind: 'respond', data: Buffer.from(this.credentials.secret(), 'utf8') };
  }

  success(): MethodOutcome {
    if (!this.started) return { kind: 'failure', error: unexpectedMessage('EAP-Success before any EAP-GTC response') };
    return { kind: 'success', msk: undefined };
  }

  failure(): OutpostError {
    return signInRejected('EAP-Failure after EAP-GTC');
  }
}

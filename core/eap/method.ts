/** What every EAP method offers the peer state machine (peer.ts), and the outcomes they share. */
import { OutpostError } from '../errors.js';

export type MethodReply = { kind: 'respond'; data: Uint8Array } | { kind: 'failure'; error: OutpostError };
export type MethodOutcome = { kind: 'success'; msk: Uint8Array | undefined } | { kind: 'failure'; error: OutpostError };

/** One step of the EAP peer (peer.ts): what to answer, or how the conversation ended. */
export type EapStep =
  /** `notification`: the text of an EAP Notification request (RFC 3748 §5.2), for the log or the user. */
  | { kind: 'respond'; message: Uint8Array; notification?: string }
  | { kind: 'success'; msk: Uint8Array | undefined }
  | { kind: 'failure'; error: OutpostError };

/** The methods that may run inside EAP-TTLS or PEAP. */
export type InnerEapMethod = 'mschapv2' | 'gtc' | 'md5';

/** An EAP peer inside a tunnel method: whole EAP packets in, steps out. */
export interface InnerEapPeer {
  handle(message: Uint8Array): EapStep;
}

export interface MethodCredentials {
  identity: string;
  /** Read only when a request needs it; the value is used at once and never kept. */
  secret: () => string;
  randomBytes: (length: number) => Uint8Array;
}

export interface EapMethod {
  readonly type: number;
  /** True once the method answered a request: from then on a Nak is forbidden (RFC 3748 §2.1). */
  readonly started: boolean;
  /** Type-Data of a Request of this method in, Type-Data of the Response out; throws DecodeError if it is malformed. */
  request(identifier: number, data: Uint8Array): MethodReply;
  /** The gateway sent EAP-Success. */
  success(): MethodOutcome;
  /** The gateway sent EAP-Failure. */
  failure(): OutpostError;
}

/**
 * A bare EAP-Failure. The peer cannot tell a wrong password from a wrong one-time code from a refused account, so it
 * reports 'authentication-failed' and the IKE layer, which knows what it asked the user for, maps it.
 */
export function signInRejected(detail: string): OutpostError {
  return new OutpostError('authentication-failed', 'The gateway did not accept your sign-in.', { detail });
}

/** The gateway broke the protocol's order (a message at the wrong time); not something the user can fix. */
export function unexpectedMessage(detail: string): OutpostError {
  return new OutpostError('gateway-error', 'The gateway sent an unexpected sign-in message.', { detail });
}

/**
 * A method that answers requests and derives no key (GTC, MD5-Challenge): EAP-Success after an answer is the whole
 * success; before one, it is the gateway breaking the order.
 */
export abstract class KeylessMethod implements EapMethod {
  abstract readonly type: number;
  /** The method as the details name it, e.g. 'EAP-GTC'. */
  protected abstract readonly name: string;
  started = false;

  abstract request(identifier: number, data: Uint8Array): MethodReply;

  success(): MethodOutcome {
    if (!this.started) {
      return { kind: 'failure', error: unexpectedMessage(`EAP-Success before any ${this.name} response`) };
    }
    return { kind: 'success', msk: undefined };
  }

  failure(): OutpostError {
    return signInRejected(`EAP-Failure after ${this.name}`);
  }
}

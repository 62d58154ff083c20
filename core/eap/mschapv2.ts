/**
 * EAP-MSCHAPv2 peer (RFC 2759 inside EAP as draft-kamath-pppext-eap-mschapv2-02 describes it):
 * Challenge -> Response; then Success request (the gateway proves it knows the password) -> Success response, or
 * Failure request -> Failure response; then EAP-Success or EAP-Failure. The MSK exists only once the gateway proved
 * itself.
 */
import { timingSafeEqual } from 'node:crypto';
import { OutpostError } from '../errors.js';
import {
  type EapMethod,
  type MethodCredentials,
  type MethodOutcome,
  type MethodReply,
  signInRejected,
  unexpectedMessage,
} from './method.js';
import {
  deriveMsk,
  generateAuthenticatorResponse,
  generateNtResponse,
  ntPasswordHash,
  userNameForChallenge,
} from './mschapv2-crypto.js';
import {
  decodeMschapV2Request,
  encodeMschapV2Acknowledgement,
  encodeMschapV2Response,
  type MschapV2FailureMessage,
  MschapV2OpCode,
  parseMschapV2Failure,
  parseMschapV2Success,
} from './mschapv2-message.js';
import { EapType } from './packet.js';

const PEER_CHALLENGE_LENGTH = 16;

type State =
  | { phase: 'awaiting-challenge' }
  | { phase: 'awaiting-outcome'; expectedAuthenticator: Uint8Array; msk: Uint8Array }
  | { phase: 'verified'; msk: Uint8Array }
  | { phase: 'rejected'; error: OutpostError };

/** Windows error numbers of RFC 2759 §6 mapped to what the user should do. */
export function mschapV2FailureError(failure: MschapV2FailureMessage): OutpostError {
  const gatewayText = failure.message === undefined ? '' : ` (${printable(failure.message)})`;
  const detail = `MS-CHAPv2 failure E=${failure.error ?? 'none'}${gatewayText}`;
  switch (failure.error) {
    case 691:
      return new OutpostError('password-rejected', 'Your username or password was not accepted.', { detail });
    case 646:
      return new OutpostError('authentication-failed', 'Your account may not sign in at this time of day.', { detail });
    case 647:
      return new OutpostError('authentication-failed', 'Your account is disabled. Contact your IT department.', {
        detail,
      });
    case 648:
      return new OutpostError('password-expired', 'Your password has expired. Change it, then connect again.', {
        detail,
      });
    case 649:
      return new OutpostError(
        'authentication-failed',
        'Your account is not allowed to connect to the VPN. Contact your IT department.',
        { detail },
      );
    default:
      return signInRejected(detail);
  }
}

export function gatewayNotProven(detail: string): OutpostError {
  return new OutpostError(
    'gateway-auth-invalid',
    'The VPN gateway could not prove that it knows your password, so it may not be genuine. Contact your IT department.',
    { detail },
  );
}

/** Gateway text goes into error details: keep it to one short printable line. */
function printable(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, '?').slice(0, 200);
}

export class MschapV2Method implements EapMethod {
  readonly type = EapType.MSCHAPV2;
  private state: State = { phase: 'awaiting-challenge' };

  constructor(private readonly credentials: MethodCredentials) {}

  get started(): boolean {
    return this.state.phase !== 'awaiting-challenge';
  }

  request(_identifier: number, data: Uint8Array): MethodReply {
    const request = decodeMschapV2Request(data);
    const { state } = this;
    if (request.opCode === MschapV2OpCode.CHALLENGE && state.phase === 'awaiting-challenge') {
      return this.answerChallenge(request.mschapId, request.challenge);
    }
    if (request.opCode === MschapV2OpCode.SUCCESS && state.phase === 'awaiting-outcome') {
      const success = parseMschapV2Success(request.message);
      // A missing, malformed or wrong authenticator response all mean the same: the gateway did not show that it
      // knows the password, so it may be an impostor that only relays or guesses.
      if (
        success === undefined ||
        !timingSafeEqual(Buffer.from(success.authenticatorResponse), Buffer.from(state.expectedAuthenticator))
      ) {
        return { kind: 'failure', error: gatewayNotProven('MS-CHAPv2 authenticator response does not match') };
      }
      this.state = { phase: 'verified', msk: state.msk };
      return { kind: 'respond', data: encodeMschapV2Acknowledgement(MschapV2OpCode.SUCCESS) };
    }
    if (request.opCode === MschapV2OpCode.FAILURE && state.phase === 'awaiting-outcome') {
      this.state = { phase: 'rejected', error: mschapV2FailureError(parseMschapV2Failure(request.message)) };
      return { kind: 'respond', data: encodeMschapV2Acknowledgement(MschapV2OpCode.FAILURE) };
    }
    return {
      kind: 'failure',
      error: unexpectedMessage(`EAP-MSCHAPv2 OpCode ${request.opCode} while ${state.phase}`),
    };
  }

  private answerChallenge(mschapId: number, authenticatorChallenge: Uint8Array): MethodReply {
    const peerChallenge = this.credentials.randomBytes(PEER_CHALLENGE_LENGTH);
    if (peerChallenge.length !== PEER_CHALLENGE_LENGTH) throw new RangeError('peer challenge must be 16 bytes');
    const { identity } = this.credentials;
    const userName = userNameForChallenge(identity);
    const passwordHash = ntPasswordHash(this.credentials.secret());
    try {
      const ntResponse = generateNtResponse(authenticatorChallenge, peerChallenge, userName, passwordHash);
      this.state = {
        phase: 'awaiting-outcome',
        expectedAuthenticator: generateAuthenticatorResponse(
          passwordHash,
          ntResponse,
          peerChallenge,
          authenticatorChallenge,
          userName,
        ),
        msk: deriveMsk(passwordHash, ntResponse),
      };
      return { kind: 'respond', data: encodeMschapV2Response({ mschapId, peerChallenge, ntResponse, name: identity }) };
    } finally {
      passwordHash.fill(0);
    }
  }

  success(): MethodOutcome {
    switch (this.state.phase) {
      case 'verified':
        return { kind: 'success', msk: this.state.msk };
      case 'rejected':
        // The gateway refused the password and then claims success: believe the refusal.
        return { kind: 'failure', error: this.state.error };
      default:
        return {
          kind: 'failure',
          error: gatewayNotProven(`EAP-Success before the MS-CHAPv2 authenticator response (${this.state.phase})`),
        };
    }
  }

  failure(): OutpostError {
    return this.state.phase === 'rejected' ? this.state.error : signInRejected(`EAP-Failure while ${this.state.phase}`);
  }
}

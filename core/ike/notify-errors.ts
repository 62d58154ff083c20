/** Error notifications from the gateway (RFC 7296 §3.10.1) as errors a remote worker can act on. */
import { OutpostError } from '../errors.js';
import { NotifyType } from '../iana.js';

const NAMES = new Map<number, string>(Object.entries(NotifyType).map(([name, value]) => [value, name]));

export function notifyName(type: number): string {
  return NAMES.get(type) ?? `notify ${type}`;
}

/** Which exchange an error notify answered: it decides the words. */
export type NotifyContext = 'init' | 'auth' | 'child' | 'other';

/** The error for an error notify in a response. */
export function errorFromNotify(type: number, stage: NotifyContext): OutpostError {
  const detail = `gateway sent ${notifyName(type)} (${type}) in ${stage}`;
  switch (type) {
    case NotifyType.NO_PROPOSAL_CHOSEN:
      return new OutpostError(
        'no-proposal-chosen',
        "The gateway does not accept this app's security settings (no common encryption proposal). Ask IT to check the profile.",
        { detail },
      );
    case NotifyType.AUTHENTICATION_FAILED:
      return new OutpostError(
        'authentication-failed',
        stage === 'auth'
          ? 'The gateway did not accept your login. Check your username and password (or pre-shared key).'
          : 'The gateway refused the connection during authentication.',
        { detail },
      );
    case NotifyType.TS_UNACCEPTABLE:
    case NotifyType.INVALID_SELECTORS:
    case NotifyType.SINGLE_PAIR_REQUIRED:
      return new OutpostError(
        'ts-unacceptable',
        'The gateway does not allow the networks this profile asks for. Ask IT to check the split-tunnel settings.',
        { detail },
      );
    case NotifyType.FAILED_CP_REQUIRED:
      return new OutpostError(
        'cp-required',
        'The gateway requires this app to request an address, and did not accept the request. Tell IT.',
        { detail },
      );
    case NotifyType.INTERNAL_ADDRESS_FAILURE:
      return new OutpostError(
        'internal-address-failure',
        'The gateway has no free address for you right now. Try again later or tell IT.',
        { detail },
      );
    case NotifyType.INVALID_KE_PAYLOAD:
      return new OutpostError(
        'invalid-ke',
        "The gateway rejected this app's key exchange settings. Ask IT to check the profile.",
        { detail },
      );
    case NotifyType.TEMPORARY_FAILURE:
      return new OutpostError('gateway-error', 'The gateway is busy. Try again in a moment.', { detail });
    default:
      return new OutpostError('gateway-error', 'The gateway refused the connection. Tell IT if it happens again.', {
        detail,
      });
  }
}

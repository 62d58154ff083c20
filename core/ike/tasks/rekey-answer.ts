/**
 * The gateway's answer to a rekey of ours (RFC 7296 §1.3): another round with the group an INVALID_KE_PAYLOAD names
 * when we offered it, its error notify as our error, else the SA and Nonce every accepted rekey carries.
 */
import { DecodeError } from '../../errors.js';
import { findErrorNotify, findPayload, PayloadType } from '../message/index.js';
import type { NoncePayload, Payload, SaPayload } from '../message/types.js';
import { errorFromNotify, type NotifyContext } from '../notify-errors.js';
import type { KeyExchangeOffer } from './key-exchange-offer.js';

export type RekeyAnswer = { again: true } | { sa: SaPayload; nonce: NoncePayload };

export function readRekeyAnswer(
  payloads: Payload[],
  offer: KeyExchangeOffer | undefined,
  context: NotifyContext,
): RekeyAnswer {
  if (offer?.retryWith(payloads)) return { again: true };
  const error = findErrorNotify(payloads);
  if (error) throw errorFromNotify(error.notifyType, context);
  const sa = findPayload(payloads, PayloadType.SA);
  const nonce = findPayload(payloads, PayloadType.NONCE);
  if (!sa || !nonce) throw new DecodeError('rekey answer lacks SA or Nonce');
  return { sa, nonce };
}

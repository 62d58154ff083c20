/**
 * The gateway's requests on an established IKE SA, answered as one pure function with a tagged outcome: INFORMATIONAL
 * (liveness, deletes, MOBIKE's path checks) and CREATE_CHILD_SA (its rekeys of the IKE SA or a CHILD_SA; anything else is refused there).
 */
import { DecodeError } from '../../errors.js';
import type { ChildSa } from '../child-sa.js';
import type { SessionConfig } from '../config.js';
import type { PeerRequest } from '../exchange-manager.js';
import type { IkeSa } from '../ike-sa.js';
import { ExchangeType, findPayload, PayloadType, ProtocolId } from '../message/index.js';
import type { Payload } from '../message/types.js';
import { answerChildRekey, type CreatedChild } from './child-rekey.js';
import { answerIkeRekey } from './ike-rekey.js';
import { answerInformational, type InformationalOutcome } from './informational.js';
import { answerPathChecks, type Path } from './mobike.js';

export type RequestOutcome =
  | InformationalOutcome
  | { kind: 'ike-rekeyed'; sa: IkeSa }
  | { kind: 'child-rekeyed'; created: CreatedChild }
  | { kind: 'refused' };

export interface ResponderState {
  sa: IkeSa;
  config: SessionConfig;
  children: readonly ChildSa[];
  /** CREATE_CHILD_SA is answered only on the current SA of an established session. */
  mayCreate: boolean;
  /** Where IKE goes now, for the NAT detection hashes the gateway's path checks are answered with. */
  path: Path;
}

export function answerRequest(
  request: PeerRequest,
  state: ResponderState,
): { response: Payload[]; outcome: RequestOutcome } {
  const { exchange, payloads } = request;
  if (exchange === ExchangeType.INFORMATIONAL) {
    const { response, outcome } = answerInformational(payloads, state.children);
    return { response: [...response, ...answerPathChecks(payloads, state.sa, state.path)], outcome };
  }
  if (exchange !== ExchangeType.CREATE_CHILD_SA || !state.mayCreate) {
    throw new DecodeError(`unexpected ${exchange} request from the gateway`);
  }
  const sa = findPayload(payloads, PayloadType.SA);
  if (sa?.proposals.some((p) => p.protocol === ProtocolId.IKE)) {
    const { response, rekeyed } = answerIkeRekey(payloads, state.sa, state.config);
    return { response, outcome: rekeyed ? { kind: 'ike-rekeyed', sa: rekeyed } : { kind: 'refused' } };
  }
  const { response, created } = answerChildRekey(payloads, state.sa, state.config, state.children);
  return { response, outcome: created ? { kind: 'child-rekeyed', created } : { kind: 'refused' } };
}

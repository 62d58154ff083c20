/**
 * INFORMATIONAL exchanges (RFC 7296 §1.4, §1.5): answering the gateway's liveness checks and deletes, and the
 * Delete payloads we send ourselves.
 */
import type { ChildSa } from '../child-sa.js';
import { findNotify, findPayloads, NotifyType, PayloadType, ProtocolId } from '../message/index.js';
import type { DeletePayload, Payload } from '../message/types.js';
import { type GatewayRedirected, redirectTarget } from '../redirect.js';

const EMPTY = new Uint8Array(0);

export type InformationalOutcome =
  | { kind: 'alive' }
  /** RFC 5685 §6: answered empty; the session then deletes its SA and the tunnel moves to the new gateway. */
  | { kind: 'redirected'; redirect: GatewayRedirected }
  | { kind: 'ike-deleted' }
  | { kind: 'children-deleted'; children: ChildSa[] };

export interface InformationalAnswer {
  response: Payload[];
  outcome: InformationalOutcome;
}

export function answerInformational(request: Payload[], children: readonly ChildSa[]): InformationalAnswer {
  const deletes = findPayloads(request, PayloadType.DELETE);
  if (deletes.some((d) => d.protocol === ProtocolId.IKE)) return { response: [], outcome: { kind: 'ike-deleted' } };
  const redirect = findNotify(request, NotifyType.REDIRECT);
  if (redirect) {
    return {
      response: [],
      outcome: { kind: 'redirected', redirect: redirectTarget(redirect, 'informational', EMPTY) },
    };
  }
  const spis = deletes.filter((d) => d.protocol === ProtocolId.ESP).flatMap((d) => d.spis);
  const deleted = children.filter((c) => spis.some((spi) => Buffer.compare(spi, c.outboundSpi) === 0));
  if (deleted.length === 0) return { response: [], outcome: { kind: 'alive' } };
  // answer with our half of each pair (RFC 7296 §1.4.1)
  const response: DeletePayload = {
    type: PayloadType.DELETE,
    protocol: ProtocolId.ESP,
    spis: deleted.map((c) => c.inboundSpi),
  };
  return { response: [response], outcome: { kind: 'children-deleted', children: deleted } };
}

export function deleteIkeSa(): Payload[] {
  const payload: DeletePayload = { type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] };
  return [payload];
}

/** We name the SPI we receive on; the gateway deletes its half, the pair (RFC 7296 §1.4.1). */
export function deleteChildSa(child: ChildSa): Payload[] {
  const payload: DeletePayload = { type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [child.inboundSpi] };
  return [payload];
}

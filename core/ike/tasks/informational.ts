/**
 * Requests the gateway sends us on an established IKE SA (RFC 7296 §1.4, §1.5): liveness checks, deletes. The
 * answer is built here; what it means for the session comes back as an outcome.
 */
import { NotifyType, PayloadType, ProtocolId, findPayloads, notify } from '../message/index.js';
import type { DeletePayload, Payload } from '../message/types.js';
import type { ChildSa } from './child-create.js';

export type InformationalOutcome =
  | { kind: 'alive' }
  | { kind: 'ike-deleted' }
  | { kind: 'child-deleted'; child: ChildSa };

export interface InformationalAnswer {
  response: Payload[];
  outcome: InformationalOutcome;
}

export function answerInformational(request: Payload[], child: ChildSa | undefined): InformationalAnswer {
  const deletes = findPayloads(request, PayloadType.DELETE);
  if (deletes.some((d) => d.protocol === ProtocolId.IKE)) return { response: [], outcome: { kind: 'ike-deleted' } };
  const deletedChild =
    child &&
    deletes.some(
      (d) => d.protocol === ProtocolId.ESP && d.spis.some((spi) => Buffer.compare(spi, child.outboundSpi) === 0),
    );
  if (deletedChild) {
    // answer with our half of the pair (RFC 7296 §1.4.1)
    const response: DeletePayload = { type: PayloadType.DELETE, protocol: ProtocolId.ESP, spis: [child.inboundSpi] };
    return { response: [response], outcome: { kind: 'child-deleted', child } };
  }
  return { response: [], outcome: { kind: 'alive' } };
}

/** CREATE_CHILD_SA from the gateway: until rekeying lands we say so rather than half-handle it. */
export function refuseCreateChild(): Payload[] {
  return [notify(NotifyType.NO_ADDITIONAL_SAS)];
}

export function deleteIkeSa(): Payload[] {
  const payload: DeletePayload = { type: PayloadType.DELETE, protocol: ProtocolId.IKE, spis: [] };
  return [payload];
}

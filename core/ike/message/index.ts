/** The IKEv2 message codec: bytes from the network become typed messages, and typed messages become bytes. */

export * from '../../iana.js';
export { decodePayloadChain, encodeGenericHeader, encodePayloadChain, firstPayloadType } from './chain.js';
export * from './constants.js';
export { decodeHeader, encodeHeader } from './header.js';
export * from './helpers.js';
export { decodeMessage, encodeMessage } from './message.js';
export { payloadName, payloadTypeOf } from './payloads.js';
export type * from './types.js';

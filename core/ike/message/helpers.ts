/** Small typed look-ups and constructors the IKE exchanges use on decoded payload lists. */
import { PayloadType } from '../../iana.js';
import type { NotifyPayload, Payload, UnrecognizedPayload } from './types.js';

type KnownPayload = Exclude<Payload, UnrecognizedPayload>;
export type KnownPayloadType = KnownPayload['type'];
type Select<P, T> = P extends { type: infer U } ? (T extends U ? P : never) : never;
/** The payload interface for a type number, e.g. `PayloadOfType<35>` is IdPayload. */
export type PayloadOfType<T extends KnownPayloadType> = Select<KnownPayload, T>;

/** Error notify types are those below 16384 (RFC 7296 §3.10.1); the rest report status. */
const FIRST_STATUS_NOTIFY = 16384;
const EMPTY = new Uint8Array(0);

export function notify(
  notifyType: number,
  data: Uint8Array = EMPTY,
  protocol = 0,
  spi: Uint8Array = EMPTY,
): NotifyPayload {
  return { type: PayloadType.NOTIFY, protocol, spi, notifyType, data };
}

export function findPayload<T extends KnownPayloadType>(
  payloads: readonly Payload[],
  type: T,
): PayloadOfType<T> | undefined {
  return payloads.find((p): p is PayloadOfType<T> => p.type === type);
}

export function findPayloads<T extends KnownPayloadType>(payloads: readonly Payload[], type: T): PayloadOfType<T>[] {
  return payloads.filter((p): p is PayloadOfType<T> => p.type === type);
}

export function findNotify(payloads: readonly Payload[], notifyType: number): NotifyPayload | undefined {
  return findNotifies(payloads, notifyType)[0];
}

export function findNotifies(payloads: readonly Payload[], notifyType: number): NotifyPayload[] {
  return findPayloads(payloads, PayloadType.NOTIFY).filter((n) => n.notifyType === notifyType);
}

/** The first error notify, which in a response means the request failed (unknown error types included). */
export function findErrorNotify(payloads: readonly Payload[]): NotifyPayload | undefined {
  return findPayloads(payloads, PayloadType.NOTIFY).find((n) => n.notifyType < FIRST_STATUS_NOTIFY);
}

/** An unrecognized payload marked critical means the whole message must be rejected (RFC 7296 §2.5). */
export function findCriticalUnrecognized(payloads: readonly Payload[]): UnrecognizedPayload | undefined {
  return payloads.find((p): p is UnrecognizedPayload => p.type === 'unrecognized' && p.critical);
}

/** The fixed 28-byte IKE header (RFC 7296 §3.1). */
import { IKE_HEADER_LENGTH } from '../../iana.js';
import { HeaderFlag, IKE_VERSION } from './constants.js';
import { ByteReader } from './reader.js';
import type { DecodedHeader, IkeHeader } from './types.js';
import { ByteWriter, checkUint } from './writer.js';

const SPI_LENGTH = 8;
const MAJOR_VERSION = IKE_VERSION >> 4;

/** Decodes the header of a datagram that holds exactly one IKE message (the length field must cover all of it). */
export function decodeHeader(bytes: Uint8Array): DecodedHeader {
  const r = new ByteReader(bytes, 'IKE header');
  if (bytes.length < IKE_HEADER_LENGTH) {
    throw r.fail(`${bytes.length} bytes, shorter than the ${IKE_HEADER_LENGTH}-byte header`);
  }
  const spiI = r.bytes(SPI_LENGTH, 'initiator SPI');
  const spiR = r.bytes(SPI_LENGTH, 'responder SPI');
  const firstPayload = r.u8('next payload');
  const version = r.u8('version');
  // The minor version is ignored on receipt (§2.5); only a different major version changes the format.
  if (version >> 4 !== MAJOR_VERSION) {
    throw r.fail(`major version ${version >> 4}, expected ${MAJOR_VERSION}`);
  }
  const exchange = r.u8('exchange type');
  // The V flag and the reserved bits must be ignored on receipt.
  const flags = r.u8('flags');
  const messageId = r.u32('message ID');
  const length = r.u32('length');
  if (length < IKE_HEADER_LENGTH) {
    throw r.fail(`length field ${length} is shorter than the header`);
  }
  if (length !== bytes.length) {
    throw r.fail(`length field says ${length} bytes but the datagram holds ${bytes.length}`);
  }
  return {
    spiI,
    spiR,
    exchange,
    initiator: (flags & HeaderFlag.INITIATOR) !== 0,
    response: (flags & HeaderFlag.RESPONSE) !== 0,
    messageId,
    firstPayload,
    length,
  };
}

export function encodeHeader(header: IkeHeader, firstPayload: number, totalLength: number): Uint8Array {
  if (header.spiI.length !== SPI_LENGTH || header.spiR.length !== SPI_LENGTH) {
    throw new Error(`IKE SPIs must be ${SPI_LENGTH} bytes (got ${header.spiI.length} and ${header.spiR.length})`);
  }
  checkUint(totalLength, 0xffffffff, 'IKE message length');
  if (totalLength < IKE_HEADER_LENGTH) {
    throw new Error(`IKE message length ${totalLength} is shorter than the header`);
  }
  const flags = (header.initiator ? HeaderFlag.INITIATOR : 0) | (header.response ? HeaderFlag.RESPONSE : 0);
  return new ByteWriter()
    .bytes(header.spiI)
    .bytes(header.spiR)
    .u8(firstPayload, 'first payload type')
    .u8(IKE_VERSION, 'version')
    .u8(header.exchange, 'exchange type')
    .u8(flags, 'flags')
    .u32(header.messageId, 'message ID')
    .u32(totalLength, 'IKE message length')
    .finish();
}

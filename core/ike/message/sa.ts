/**
 * The SA payload body: proposals, their transforms and transform attributes (RFC 7296 §3.3).
 *
 * Two kinds of problem are told apart. A structure that does not parse (lengths, last-substructure flags, counts, SPI
 * sizes) is a DecodeError for the whole message. A well-formed proposal that uses something we do not know (a
 * protocol ID, transform type or transform attribute outside core/iana.ts) must be rejected on its own (§3.3.6), so it
 * is left out of `proposals`; the others keep their wire numbers, so a responder's choice can still be matched. An SA
 * whose proposals are all unknown therefore decodes to an empty list, which the engine treats as "nothing acceptable".
 */
import { ProtocolId, TRANSFORM_ATTR_KEY_LENGTH, TransformType } from '../../iana.js';
import type { ByteReader } from './reader.js';
import type { Proposal, Transform } from './types.js';
import { ByteWriter } from './writer.js';

const LAST = 0;
const MORE_PROPOSALS = 2;
const MORE_TRANSFORMS = 3;
const SUBSTRUCTURE_HEADER_LENGTH = 8;
const ATTRIBUTE_FORMAT_TV = 0x8000;

const PROTOCOLS: ReadonlySet<number> = new Set(Object.values(ProtocolId));
const TRANSFORM_TYPES: ReadonlySet<number> = new Set(Object.values(TransformType));

function isProtocolId(n: number): n is ProtocolId {
  return PROTOCOLS.has(n);
}

function isTransformType(n: number): n is TransformType {
  return TRANSFORM_TYPES.has(n);
}

/** SPI sizes a proposal may carry: none or 8 for IKE (8 when rekeying the IKE SA), 4 for ESP and AH. */
function spiSizeAllowed(protocol: ProtocolId, size: number): boolean {
  return protocol === ProtocolId.IKE ? size === 0 || size === 8 : size === 4;
}

export function decodeSa(r: ByteReader): Proposal[] {
  if (r.remaining === 0) {
    throw r.fail('no proposals');
  }
  const proposals: Proposal[] = [];
  for (let index = 1; ; index++) {
    const last = r.u8(`proposal ${index} last-substructure`);
    if (last !== LAST && last !== MORE_PROPOSALS) {
      throw r.fail(`proposal ${index} last-substructure ${last}, expected ${LAST} or ${MORE_PROPOSALS}`);
    }
    const proposal = decodeProposal(substructureBody(r, `proposal ${index}`));
    if (proposal !== undefined) {
      proposals.push(proposal);
    }
    if (last === LAST) {
      r.end(`proposal ${index}, which is marked last`);
      return proposals;
    }
    if (r.remaining === 0) {
      throw r.fail(`proposal ${index} says more proposals follow but the payload ends`);
    }
  }
}

/** The rest of a proposal or transform substructure after its last-substructure byte: reserved, length, body. */
function substructureBody(r: ByteReader, name: string): ByteReader {
  r.skip(1, `${name} reserved`);
  const length = r.u16(`${name} length`);
  if (length < SUBSTRUCTURE_HEADER_LENGTH) throw r.fail(`${name} length ${length} is shorter than its header`);
  return r.sub(length - 4, `${name} (length ${length})`, `${r.context}, ${name}`);
}

function decodeProposal(r: ByteReader): Proposal | undefined {
  const number = r.u8('proposal number');
  const protocol = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const count = r.u8('number of transforms');
  if (isProtocolId(protocol) && !spiSizeAllowed(protocol, spiSize)) {
    throw r.fail(`SPI size ${spiSize} is not valid for protocol ${protocol}`);
  }
  const spi = r.bytes(spiSize, 'SPI');
  const transforms: Transform[] = [];
  let understood = true;
  for (let index = 1; index <= count; index++) {
    const last = r.u8(`transform ${index} last-substructure`);
    const expected = index === count ? LAST : MORE_TRANSFORMS;
    if (last !== expected) {
      throw r.fail(`transform ${index} of ${count} has last-substructure ${last}, expected ${expected}`);
    }
    const transform = decodeTransform(substructureBody(r, `transform ${index}`));
    if (transform === undefined) {
      understood = false;
    } else {
      transforms.push(transform);
    }
  }
  r.end(`the ${count} transforms the proposal announces`);
  return understood && isProtocolId(protocol) ? { number, protocol, spi, transforms } : undefined;
}

/** Undefined for a well-formed transform we do not understand. */
function decodeTransform(r: ByteReader): Transform | undefined {
  const type = r.u8('transform type');
  r.skip(1, 'reserved');
  const id = r.u16('transform ID');
  let keyLength: number | undefined;
  let understood = true;
  while (r.remaining > 0) {
    const head = r.u16('attribute type');
    const attrType = head & ~ATTRIBUTE_FORMAT_TV;
    if ((head & ATTRIBUTE_FORMAT_TV) !== 0) {
      const value = r.u16(`attribute ${attrType} value`);
      if (attrType === TRANSFORM_ATTR_KEY_LENGTH) {
        if (keyLength !== undefined) {
          throw r.fail('key length attribute appears twice');
        }
        keyLength = value;
      } else {
        understood = false;
      }
    } else {
      if (attrType === TRANSFORM_ATTR_KEY_LENGTH) {
        throw r.fail('key length attribute in variable-length format');
      }
      const length = r.u16(`attribute ${attrType} length`);
      r.skip(length, `attribute ${attrType} value`);
      understood = false;
    }
  }
  if (!understood || !isTransformType(type)) {
    return undefined;
  }
  return keyLength === undefined ? { type, id } : { type, id, keyLength };
}

export function encodeSa(proposals: readonly Proposal[]): Uint8Array {
  if (proposals.length === 0) {
    throw new Error('an SA payload needs at least one proposal');
  }
  const w = new ByteWriter();
  proposals.forEach((proposal, i) => {
    const body = encodeProposal(proposal);
    w.u8(i === proposals.length - 1 ? LAST : MORE_PROPOSALS, 'last-substructure')
      .zeros(1)
      .u16(4 + body.length, 'proposal length')
      .bytes(body);
  });
  return w.finish();
}

function encodeProposal(proposal: Proposal): Uint8Array {
  const { number, protocol, spi, transforms } = proposal;
  if (!isProtocolId(protocol) || !spiSizeAllowed(protocol, spi.length)) {
    throw new Error(`SPI of ${spi.length} bytes is not valid for protocol ${protocol}`);
  }
  const w = new ByteWriter()
    .u8(number, 'proposal number')
    .u8(protocol, 'protocol ID')
    .u8(spi.length, 'SPI size')
    .u8(transforms.length, 'number of transforms')
    .bytes(spi);
  transforms.forEach((transform, i) => {
    const hasKeyLength = transform.keyLength !== undefined;
    w.u8(i === transforms.length - 1 ? LAST : MORE_TRANSFORMS, 'last-substructure')
      .zeros(1)
      .u16(SUBSTRUCTURE_HEADER_LENGTH + (hasKeyLength ? 4 : 0), 'transform length')
      .u8(transform.type, 'transform type')
      .zeros(1)
      .u16(transform.id, 'transform ID');
    if (transform.keyLength !== undefined) {
      w.u16(ATTRIBUTE_FORMAT_TV | TRANSFORM_ATTR_KEY_LENGTH, 'attribute type').u16(transform.keyLength, 'key length');
    }
  });
  return w.finish();
}

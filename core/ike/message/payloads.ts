/**
 * Payload bodies (everything after the 4-byte generic header) for each payload of RFC 7296 §3 and the Encrypted
 * Fragment payload of RFC 7383 §2.5. Reserved fields are skipped, never checked: receivers must ignore them.
 */
import { IdType, PayloadType, ProtocolId, TsType } from '../../iana.js';
import { ByteReader } from './reader.js';
import { decodeSa, encodeSa } from './sa.js';
import type { CfgAttribute, Payload, TrafficSelector } from './types.js';
import { ByteWriter } from './writer.js';

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(PayloadType).map(([name, type]) => [type, name]));
const KNOWN_TYPES: ReadonlySet<number> = new Set(NAMES.keys());

/** The name RFC 7296 uses for a payload type, for error messages and logs. */
export function payloadName(type: number): string {
  return NAMES.get(type) ?? `payload type ${type}`;
}

/** The payload type on the wire, including that of a payload we did not recognize. */
export function payloadTypeOf(payload: Payload): number {
  return payload.type === 'unrecognized' ? payload.payloadType : payload.type;
}

export function isEncrypted(type: number): boolean {
  return type === PayloadType.SK || type === PayloadType.SKF;
}

const NONCE_MIN = 16;
const NONCE_MAX = 256;
const SELECTOR_HEADER_LENGTH = 8;
/** §3.13.1: type, protocol, length, two ports, then start and end address of the family. */
const ADDRESS_LENGTH: Readonly<Record<number, number>> = { [TsType.IPV4_ADDR_RANGE]: 4, [TsType.IPV6_ADDR_RANGE]: 16 };
const ID_ADDRESS_LENGTH: Readonly<Record<number, number>> = { [IdType.IPV4_ADDR]: 4, [IdType.IPV6_ADDR]: 16 };
const CFG_ATTR_TYPE_MASK = 0x7fff;
const ESP_AH_SPI_LENGTH = 4;
const EAP_HEADER_LENGTH = 4;

/**
 * Decodes one payload body. `next` is the generic header's next-payload field, which SK and SKF reinterpret as the
 * type of the first inner payload. The critical bit only matters for payloads we do not recognize (§2.5).
 */
export function decodePayload(type: number, next: number, critical: boolean, body: Uint8Array): Payload {
  const r = new ByteReader(body, `${payloadName(type)} payload`);
  switch (type) {
    case PayloadType.SA:
      return { type, proposals: decodeSa(r) };
    case PayloadType.KE: {
      const group = r.u16('DH group');
      r.skip(2, 'reserved');
      return { type, group, data: r.rest() };
    }
    case PayloadType.IDi:
    case PayloadType.IDr: {
      const idType = r.u8('ID type');
      r.skip(3, 'reserved');
      const data = r.rest();
      const addressLength = ID_ADDRESS_LENGTH[idType];
      if (addressLength !== undefined && data.length !== addressLength) {
        throw r.fail(`ID type ${idType} needs a ${addressLength}-byte address, got ${data.length}`);
      }
      return { type, idType, data };
    }
    case PayloadType.CERT:
    case PayloadType.CERTREQ:
      return { type, encoding: r.u8('certificate encoding'), data: r.rest() };
    case PayloadType.AUTH: {
      const method = r.u8('auth method');
      r.skip(3, 'reserved');
      return { type, method, data: r.rest() };
    }
    case PayloadType.NONCE: {
      const data = r.rest();
      if (data.length < NONCE_MIN || data.length > NONCE_MAX) {
        throw r.fail(`nonce of ${data.length} bytes, must be ${NONCE_MIN} to ${NONCE_MAX}`);
      }
      return { type, data };
    }
    case PayloadType.NOTIFY: {
      const protocol = r.u8('protocol ID');
      const spiSize = r.u8('SPI size');
      const notifyType = r.u16('notify type');
      // With no SPI the protocol field must be ignored (§3.10); with one, it says what kind of SA the SPI names,
      // and only ESP/AH SAs are named by SPI here (a notify about the IKE SA has no SPI).
      const espOrAh = protocol === ProtocolId.ESP || protocol === ProtocolId.AH;
      if (spiSize !== 0 && !(espOrAh && spiSize === ESP_AH_SPI_LENGTH)) {
        throw r.fail(`SPI size ${spiSize} with protocol ${protocol}`);
      }
      const spi = r.bytes(spiSize, 'SPI');
      return { type, protocol, spi, notifyType, data: r.rest() };
    }
    case PayloadType.DELETE:
      return decodeDelete(r);
    case PayloadType.VENDOR:
      return { type, data: r.rest() };
    case PayloadType.TSi:
    case PayloadType.TSr:
      return { type, selectors: decodeSelectors(r) };
    case PayloadType.SK:
      return { type, innerType: next, body: r.rest() };
    case PayloadType.CP: {
      const cfgType = r.u8('CFG type');
      r.skip(3, 'reserved');
      const attributes: CfgAttribute[] = [];
      while (r.remaining > 0) {
        // The top bit is reserved and ignored on receipt (§3.15.1).
        const attrType = r.u16('attribute type') & CFG_ATTR_TYPE_MASK;
        const length = r.u16(`attribute ${attrType} length`);
        attributes.push({ attrType, value: r.bytes(length, `attribute ${attrType} value`) });
      }
      return { type, cfgType, attributes };
    }
    case PayloadType.EAP: {
      const message = r.rest();
      if (message.length < EAP_HEADER_LENGTH) {
        throw r.fail(`EAP packet of ${message.length} bytes is shorter than its header`);
      }
      const eapLength = (message[2]! << 8) | message[3]!;
      if (eapLength !== message.length) {
        throw r.fail(`EAP length field says ${eapLength} bytes but the payload holds ${message.length}`);
      }
      return { type, message };
    }
    case PayloadType.SKF: {
      const fragmentNumber = r.u16('fragment number');
      const totalFragments = r.u16('total fragments');
      if (fragmentNumber < 1 || fragmentNumber > totalFragments) {
        throw r.fail(`fragment ${fragmentNumber} of ${totalFragments}`);
      }
      if (fragmentNumber > 1 && next !== PayloadType.NONE) {
        throw r.fail(`fragment ${fragmentNumber} names inner payload ${next}; only fragment 1 may`);
      }
      return { type, innerType: next, fragmentNumber, totalFragments, body: r.rest() };
    }
    default:
      return { type: 'unrecognized', payloadType: type, critical, body: r.rest() };
  }
}

function decodeDelete(r: ByteReader): Payload {
  const protocol = r.u8('protocol ID');
  const spiSize = r.u8('SPI size');
  const count = r.u16('number of SPIs');
  if (protocol === ProtocolId.IKE) {
    // Deleting the IKE SA names no SPI: the header's SPIs say which one.
    if (spiSize !== 0 || count !== 0) {
      throw r.fail(`IKE SA delete with SPI size ${spiSize} and ${count} SPIs, expected none`);
    }
  } else if (protocol === ProtocolId.ESP || protocol === ProtocolId.AH) {
    if (spiSize !== ESP_AH_SPI_LENGTH) {
      throw r.fail(`SPI size ${spiSize} for protocol ${protocol}, expected ${ESP_AH_SPI_LENGTH}`);
    }
  } else {
    throw r.fail(`unknown protocol ID ${protocol}`);
  }
  if (r.remaining !== count * spiSize) {
    throw r.fail(`${count} SPIs of ${spiSize} bytes need ${count * spiSize} bytes, got ${r.remaining}`);
  }
  const spis: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    spis.push(r.bytes(spiSize, `SPI ${i + 1}`));
  }
  return { type: PayloadType.DELETE, protocol, spis };
}

function decodeSelectors(r: ByteReader): TrafficSelector[] {
  const count = r.u8('number of TSs');
  r.skip(3, 'reserved');
  const selectors: TrafficSelector[] = [];
  for (let index = 1; index <= count; index++) {
    const tsType = r.u8(`selector ${index} type`);
    const ipProtocol = r.u8(`selector ${index} IP protocol`);
    const length = r.u16(`selector ${index} length`);
    if (tsType !== TsType.IPV4_ADDR_RANGE && tsType !== TsType.IPV6_ADDR_RANGE) {
      throw r.fail(`selector ${index} has unknown TS type ${tsType}`);
    }
    const addressLength = ADDRESS_LENGTH[tsType]!;
    const expected = SELECTOR_HEADER_LENGTH + 2 * addressLength;
    if (length !== expected) {
      throw r.fail(`selector ${index} of type ${tsType} has length ${length}, expected ${expected}`);
    }
    selectors.push({
      tsType,
      ipProtocol,
      startPort: r.u16(`selector ${index} start port`),
      endPort: r.u16(`selector ${index} end port`),
      startAddress: r.bytes(addressLength, `selector ${index} start address`),
      endAddress: r.bytes(addressLength, `selector ${index} end address`),
    });
  }
  r.end(`the ${count} selectors the payload announces`);
  return selectors;
}

/** Encodes one payload body; sizes the wire format cannot express are caller bugs and throw a plain Error. */
export function encodePayload(payload: Payload): Uint8Array {
  const w = new ByteWriter();
  switch (payload.type) {
    case PayloadType.SA:
      return encodeSa(payload.proposals);
    case PayloadType.KE:
      return w.u16(payload.group, 'DH group').zeros(2).bytes(payload.data).finish();
    case PayloadType.IDi:
    case PayloadType.IDr: {
      const addressLength = ID_ADDRESS_LENGTH[payload.idType];
      if (addressLength !== undefined && payload.data.length !== addressLength) {
        throw new Error(`ID type ${payload.idType} needs a ${addressLength}-byte address`);
      }
      return w.u8(payload.idType, 'ID type').zeros(3).bytes(payload.data).finish();
    }
    case PayloadType.CERT:
    case PayloadType.CERTREQ:
      return w.u8(payload.encoding, 'certificate encoding').bytes(payload.data).finish();
    case PayloadType.AUTH:
      return w.u8(payload.method, 'auth method').zeros(3).bytes(payload.data).finish();
    case PayloadType.NONCE:
      if (payload.data.length < NONCE_MIN || payload.data.length > NONCE_MAX) {
        throw new Error(`nonce of ${payload.data.length} bytes, must be ${NONCE_MIN} to ${NONCE_MAX}`);
      }
      return payload.data.slice();
    case PayloadType.NOTIFY: {
      const { protocol, spi } = payload;
      const espOrAh = protocol === ProtocolId.ESP || protocol === ProtocolId.AH;
      if (spi.length !== 0 && !(espOrAh && spi.length === ESP_AH_SPI_LENGTH)) {
        throw new Error(`notify SPI of ${spi.length} bytes with protocol ${protocol}`);
      }
      return w
        .u8(protocol, 'protocol ID')
        .u8(spi.length, 'SPI size')
        .u16(payload.notifyType, 'notify type')
        .bytes(spi)
        .bytes(payload.data)
        .finish();
    }
    case PayloadType.DELETE: {
      const { protocol, spis } = payload;
      const spiSize = protocol === ProtocolId.IKE ? 0 : ESP_AH_SPI_LENGTH;
      const valid =
        protocol === ProtocolId.IKE
          ? spis.length === 0
          : (protocol === ProtocolId.ESP || protocol === ProtocolId.AH) && spis.every((s) => s.length === spiSize);
      if (!valid) {
        throw new Error(`delete for protocol ${protocol} with SPIs of sizes ${spis.map((s) => s.length).join(',')}`);
      }
      w.u8(protocol, 'protocol ID').u8(spiSize, 'SPI size').u16(spis.length, 'number of SPIs');
      for (const spi of spis) {
        w.bytes(spi);
      }
      return w.finish();
    }
    case PayloadType.VENDOR:
      return payload.data.slice();
    case PayloadType.TSi:
    case PayloadType.TSr:
      w.u8(payload.selectors.length, 'number of TSs').zeros(3);
      for (const ts of payload.selectors) {
        const addressLength = ADDRESS_LENGTH[ts.tsType];
        if (addressLength === undefined) {
          throw new Error(`unknown TS type ${ts.tsType}`);
        }
        if (ts.startAddress.length !== addressLength || ts.endAddress.length !== addressLength) {
          throw new Error(`TS type ${ts.tsType} needs ${addressLength}-byte addresses`);
        }
        w.u8(ts.tsType, 'TS type')
          .u8(ts.ipProtocol, 'IP protocol')
          .u16(SELECTOR_HEADER_LENGTH + 2 * addressLength, 'selector length')
          .u16(ts.startPort, 'start port')
          .u16(ts.endPort, 'end port')
          .bytes(ts.startAddress)
          .bytes(ts.endAddress);
      }
      return w.finish();
    case PayloadType.SK:
      return payload.body.slice();
    case PayloadType.CP:
      w.u8(payload.cfgType, 'CFG type').zeros(3);
      for (const attr of payload.attributes) {
        if (attr.attrType > CFG_ATTR_TYPE_MASK) {
          throw new Error(`configuration attribute type ${attr.attrType} does not fit in 15 bits`);
        }
        w.u16(attr.attrType, 'attribute type').u16(attr.value.length, 'attribute length').bytes(attr.value);
      }
      return w.finish();
    case PayloadType.EAP: {
      const { message } = payload;
      if (message.length < EAP_HEADER_LENGTH || ((message[2]! << 8) | message[3]!) !== message.length) {
        throw new Error(`EAP packet of ${message.length} bytes whose length field does not match`);
      }
      return message.slice();
    }
    case PayloadType.SKF: {
      const { fragmentNumber, totalFragments, innerType } = payload;
      if (fragmentNumber < 1 || fragmentNumber > totalFragments || (fragmentNumber > 1 && innerType !== 0)) {
        throw new Error(`fragment ${fragmentNumber} of ${totalFragments} with inner type ${innerType}`);
      }
      return w
        .u16(fragmentNumber, 'fragment number')
        .u16(totalFragments, 'total fragments')
        .bytes(payload.body)
        .finish();
    }
    case 'unrecognized':
      if (KNOWN_TYPES.has(payload.payloadType)) {
        throw new Error(`payload type ${payload.payloadType} is known and must not be sent as unrecognized`);
      }
      return payload.body.slice();
  }
}

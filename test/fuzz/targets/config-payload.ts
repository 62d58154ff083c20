/**
 * The configuration payload (RFC 7296 §3.15): its body decoded as the chain decoder does, then read by
 * parseConfigReply. Mutations work on the attribute list (retyped, resized, duplicated, dropped) as well as raw bytes.
 */
import { DecodeError, messageOf } from '../../../core/errors.js';
import { CfgAttr, CfgType, PayloadType } from '../../../core/iana.js';
import { type AssignedConfig, parseConfigReply } from '../../../core/ike/config-payload.js';
import { decodePayload, encodePayload } from '../../../core/ike/message/payloads.js';
import type { CfgAttribute } from '../../../core/ike/message/types.js';
import { parseCidr, parseIp } from '../../../core/net/address.js';
import { toHex } from '../../support/hex.js';
import { CP_REPLY } from '../ike-seeds.js';
import { type Dice, mutateBytes } from '../mutator.js';
import { defineTarget } from '../target.js';

const ATTRIBUTE_TYPES: readonly number[] = Object.values(CfgAttr);
const SEED_BODY = encodePayload(CP_REPLY);
/** The attribute length field is 16 bits: longer values cannot be sent at all. */
const MAX_VALUE = 0xffff;

function mutateAttributes(dice: Dice, attributes: readonly CfgAttribute[]): CfgAttribute[] {
  const out = attributes.slice();
  for (let n = dice.few(4); n > 0; n--) {
    const at = dice.int(out.length + 1);
    const attribute = out[at % Math.max(1, out.length)];
    switch (dice.int(5)) {
      case 0:
        out.splice(at, 1);
        break;
      case 1:
        if (attribute) out.splice(dice.int(out.length + 1), 0, attribute);
        break;
      case 2:
        if (attribute) out[at % out.length] = { ...attribute, attrType: dice.pick(ATTRIBUTE_TYPES) };
        break;
      case 3:
        if (attribute) {
          const value = dice.bytes(Math.min(MAX_VALUE, dice.length(attribute.value.length)));
          out[at % out.length] = { ...attribute, value };
        }
        break;
      default:
        if (attribute) {
          const value = mutateBytes(dice, attribute.value).subarray(0, MAX_VALUE);
          out[at % out.length] = { ...attribute, value };
        }
    }
  }
  return out;
}

function generate(dice: Dice): Uint8Array {
  if (dice.chance(25)) return mutateBytes(dice, SEED_BODY);
  const cfgType = dice.chance(90) ? CfgType.REPLY : dice.int(256);
  return encodePayload({ ...CP_REPLY, cfgType, attributes: mutateAttributes(dice, CP_REPLY.attributes) });
}

/**
 * What the tunnel takes from a reply must be what the AssignedConfig type promises: addresses, and subnets whose prefix
 * fits the family; a value that is not is a decoder that let a malformed attribute through.
 */
function checkAssigned(config: AssignedConfig): void {
  const cidrs = [...config.subnets, ...(config.ip6 === undefined ? [] : [config.ip6])];
  const addresses = [...config.dns, ...(config.ip4 === undefined ? [] : [config.ip4])];
  for (const cidr of cidrs) parseCidr(cidr);
  for (const address of addresses) {
    if (parseIp(address) === undefined) throw new Error(`configuration reply decoded to address "${address}"`);
  }
}

function run(body: Uint8Array): void {
  const payload = decodePayload(PayloadType.CP, PayloadType.NONE, false, body);
  if (payload.type !== PayloadType.CP) return;
  const config = parseConfigReply(payload);
  try {
    checkAssigned(config);
  } catch (error) {
    throw new Error(`configuration reply decoded to a malformed value: ${messageOf(error)}`);
  }
}

export const configPayloadTarget = defineTarget({
  name: 'config-payload',
  generate,
  run,
  expected: (error) => error instanceof DecodeError,
  show: toHex,
});

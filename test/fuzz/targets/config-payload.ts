/**
 * The configuration payload (RFC 7296 §3.15): its body decoded as the chain decoder does, then read by
 * parseConfigReply. Mutations work on the attribute list (retyped, resized, duplicated, dropped) as well as raw bytes.
 */
import { messageOf } from '../../../core/errors.js';
import { CfgAttr, CfgType, PayloadType } from '../../../core/iana.js';
import { type AssignedConfig, parseConfigReply } from '../../../core/ike/config-payload.js';
import { decodePayload, encodePayload } from '../../../core/ike/message/payloads.js';
import type { CfgAttribute } from '../../../core/ike/message/types.js';
import { parseCidr, parseIp } from '../../../core/net/address.js';
import { isDomainName } from '../../../core/net/domain-name.js';
import { toHex } from '../../support/hex.js';
import { CP_REPLY } from '../ike-seeds.js';
import { type Dice, mutateBytes, mutateList } from '../mutator.js';
import { defineTarget, isDecodeError } from '../target.js';

const ATTRIBUTE_TYPES: readonly number[] = Object.values(CfgAttr);
const SEED_BODY = encodePayload(CP_REPLY);
/** The attribute length field is 16 bits: longer values cannot be sent at all. */
const MAX_VALUE = 0xffff;

function mutateAttributes(dice: Dice, attributes: readonly CfgAttribute[]): CfgAttribute[] {
  return mutateList(dice, attributes, {
    fresh: () => ({ attrType: dice.pick(ATTRIBUTE_TYPES), value: dice.bytes(dice.int(20)) }),
    change(attribute) {
      switch (dice.int(3)) {
        case 0:
          return { ...attribute, attrType: dice.pick(ATTRIBUTE_TYPES) };
        case 1:
          return { ...attribute, value: dice.bytes(Math.min(MAX_VALUE, dice.length(attribute.value.length))) };
        default:
          return { ...attribute, value: mutateBytes(dice, attribute.value).subarray(0, MAX_VALUE) };
      }
    },
  });
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
  for (const domain of config.domains) {
    if (!isDomainName(domain)) throw new Error(`configuration reply decoded to domain "${domain}"`);
  }
  const cidrs = [...config.subnets, ...(config.ip6 === undefined ? [] : [config.ip6])];
  const addresses = [...config.dns, ...(config.ip4 === undefined ? [] : [config.ip4])];
  for (const cidr of cidrs) parseCidr(cidr);
  for (const address of addresses) {
    if (parseIp(address) === undefined) throw new Error(`configuration reply decoded to address "${address}"`);
  }
}

function run(body: Uint8Array): boolean {
  const payload = decodePayload(PayloadType.CP, PayloadType.NONE, false, body);
  if (payload.type !== PayloadType.CP) return false;
  const { config } = parseConfigReply(payload);
  try {
    checkAssigned(config);
  } catch (error) {
    throw new Error(`configuration reply decoded to a malformed value: ${messageOf(error)}`);
  }
  return true;
}

export const configPayloadTarget = defineTarget({
  name: 'config-payload',
  generate,
  run,
  expected: isDecodeError,
  show: toHex,
});

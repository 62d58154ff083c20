import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { CfgAttr, CfgType, PayloadType } from '../iana.js';
import { parseConfigReply } from './config-payload.js';
import type { CfgAttribute, CpPayload } from './message/types.js';

function reply(...attributes: CfgAttribute[]): CpPayload {
  return { type: PayloadType.CP, cfgType: CfgType.REPLY, attributes };
}

test('INTERNAL_IP6_ADDRESS: the address with its prefix length (RFC 7296 §3.15.1)', () => {
  const config = parseConfigReply(
    reply({ attrType: CfgAttr.INTERNAL_IP6_ADDRESS, value: fromHex('20010db8000000000000000000000002 40') }),
  );
  assert.equal(config.ip6, '2001:db8::2/64');
});

// Found by the fuzzer (test/fuzz, config-payload): a prefix length over 128 came back as "2001:db8::2/200", a value
// no IPv6 address can have; INTERNAL_IP6_SUBNET already refused it.
test('INTERNAL_IP6_ADDRESS with a prefix length over 128 is a DecodeError', () => {
  for (const prefix of ['81', 'c8', 'ff']) {
    const value = fromHex(`20010db8000000000000000000000002 ${prefix}`);
    assert.throws(() => parseConfigReply(reply({ attrType: CfgAttr.INTERNAL_IP6_ADDRESS, value })), {
      name: 'DecodeError',
      message: /INTERNAL_IP6_ADDRESS prefix over 128/,
    });
  }
  const edge = fromHex('20010db8000000000000000000000002 80');
  assert.equal(parseConfigReply(reply({ attrType: CfgAttr.INTERNAL_IP6_ADDRESS, value: edge })).ip6, '2001:db8::2/128');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fromHex } from '../../test/support/hex.js';
import { CfgAttr, CfgType, PayloadType } from '../iana.js';
import { configRequest, parseConfigReply, parseDnssecTrustAnchor, parseDnsDomain } from './config-payload.js';
import type { CfgAttribute, CpPayload } from './message/types.js';

function reply(...attributes: CfgAttribute[]): CpPayload {
  return { type: PayloadType.CP, cfgType: CfgType.REPLY, attributes };
}

test('INTERNAL_IP6_ADDRESS: the address with its prefix length (RFC 7296 §3.15.1)', () => {
  const { config } = parseConfigReply(
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
  assert.equal(
    parseConfigReply(reply({ attrType: CfgAttr.INTERNAL_IP6_ADDRESS, value: edge })).config.ip6,
    '2001:db8::2/128',
  );
});

const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));

test('the request asks for split DNS domains and their trust anchors (RFC 8598 §3), empty', () => {
  const types = configRequest(false).attributes.map((a) => a.attrType);
  assert.ok(types.includes(CfgAttr.INTERNAL_DNS_DOMAIN));
  assert.ok(types.includes(CfgAttr.INTERNAL_DNSSEC_TA));
  assert.ok(configRequest(true).attributes.every((a) => a.value.length === 0));
});

test('INTERNAL_DNS_DOMAIN: names in presentation format, final dot and case folded, duplicates once', () => {
  const { config, notes } = parseConfigReply(
    reply(
      { attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii('corp.example') },
      { attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii('Lab.Corp.Example.') },
      { attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii('corp.example.') },
    ),
  );
  assert.deepEqual(config.domains, ['corp.example', 'lab.corp.example']);
  assert.deepEqual(notes, []);
});

test('a bad INTERNAL_DNS_DOMAIN is dropped with a note; the rest of the reply stands', () => {
  const bad = ['corp example', 'corp.example\nnameserver 192.0.2.66', 'a..b', '-a.example', 'é.example', 'x\u0000'];
  const { config, notes } = parseConfigReply(
    reply(
      { attrType: CfgAttr.INTERNAL_IP4_ADDRESS, value: fromHex('cb007105') },
      ...bad.map((name) => ({ attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii(name) })),
      { attrType: CfgAttr.INTERNAL_DNS_DOMAIN, value: ascii('corp.example') },
    ),
  );
  assert.equal(config.ip4, '203.0.113.5');
  assert.deepEqual(config.domains, ['corp.example']);
  assert.equal(notes.length, bad.length);
  for (const note of notes)
    assert.match(note, /^Ignored a split DNS domain from the gateway: INTERNAL_DNS_DOMAIN ".*" is not a domain name$/);
  assert.throws(() => parseDnsDomain(ascii('corp.example\u0000')), { name: 'DecodeError' });
  assert.throws(() => parseDnsDomain(ascii(`${'a'.repeat(64)}.example`)), { name: 'DecodeError' });
});

test('INTERNAL_DNSSEC_TA: name, then DS RDATA (key tag, algorithm, digest type, digest); parsed and not used', () => {
  // example: key tag 20326 (0x4f66), algorithm 8, digest type 2, a 32-byte SHA-256 digest
  const digest = 'e06d44b80b8f1d39a95c0b0d7c65d08458e880409bbc683457104237c7f8ec8d';
  const value = fromHex(`0c ${Buffer.from('corp.example').toString('hex')} 4f66 08 02 ${digest}`);
  const anchor = parseDnssecTrustAnchor(value);
  assert.equal(anchor.domain, 'corp.example');
  assert.equal(anchor.keyTag, 20326);
  assert.equal(anchor.algorithm, 8);
  assert.equal(anchor.digestType, 2);
  assert.equal(Buffer.from(anchor.digest).toString('hex'), digest);
  const { config, notes } = parseConfigReply(reply({ attrType: CfgAttr.INTERNAL_DNSSEC_TA, value }));
  assert.deepEqual(config.domains, [], 'a trust anchor names no split domain');
  assert.deepEqual(notes, ['The gateway sent a DNSSEC trust anchor for corp.example (key tag 20326); not used.']);
});

test('a truncated or badly named INTERNAL_DNSSEC_TA is a DecodeError, dropped with a note by the reply', () => {
  for (const hex of ['05', `0c ${Buffer.from('corp.example').toString('hex')} 4f66 08`, `03 2d2d2d 4f66 08 02 00`]) {
    assert.throws(() => parseDnssecTrustAnchor(fromHex(hex)), { name: 'DecodeError' });
    const { notes } = parseConfigReply(reply({ attrType: CfgAttr.INTERNAL_DNSSEC_TA, value: fromHex(hex) }));
    assert.match(notes[0] ?? '', /^Ignored a DNSSEC trust anchor from the gateway: /);
  }
});

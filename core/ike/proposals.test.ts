import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOutpostError } from '../errors.js';
import { DhGroupId, EncrId, EsnId, IntegId, PrfId, TransformType as T } from './message/constants.js';
import type { Transform } from './message/types.js';
import {
  DEFAULT_ESP_PROPOSALS,
  DEFAULT_IKE_PROPOSALS,
  expandProposalList,
  formatTransforms,
  parseProposal,
  parseProposalList,
} from './proposals.js';

const gcm = (bits: number): Transform => ({ type: T.ENCR, id: EncrId.AES_GCM_16, keyLength: bits });
const cbc = (bits: number): Transform => ({ type: T.ENCR, id: EncrId.AES_CBC, keyLength: bits });
const chacha: Transform = { type: T.ENCR, id: EncrId.CHACHA20_POLY1305 };
const integ = (id: number): Transform => ({ type: T.INTEG, id });
const prf = (id: number): Transform => ({ type: T.PRF, id });
const dh = (id: number): Transform => ({ type: T.DH, id });
const noEsn: Transform = { type: T.ESN, id: EsnId.NO };
const esn: Transform = { type: T.ESN, id: EsnId.YES };

function rejects(text: string, kind: 'ike' | 'esp', mentions: RegExp): void {
  assert.throws(
    () => parseProposal(text, kind),
    (e: unknown) => isOutpostError(e) && e.code === 'profile-invalid' && mentions.test(e.message),
  );
}

test('IKE examples from swanctl.conf parse to the IANA transforms', () => {
  assert.deepEqual(parseProposal('aes256gcm16-prfsha256-x25519', 'ike'), [
    gcm(256),
    prf(PrfId.HMAC_SHA2_256),
    dh(DhGroupId.CURVE25519),
  ]);
  // integrity implies the PRF when none is named (strongSwan's integ_prf_map)
  assert.deepEqual(parseProposal('aes256-sha256-modp2048', 'ike'), [
    cbc(256),
    integ(IntegId.HMAC_SHA2_256_128),
    prf(PrfId.HMAC_SHA2_256),
    dh(DhGroupId.MODP_2048),
  ]);
  assert.deepEqual(parseProposal('aes128gcm16-aes256gcm16-prfsha384-ecp384-ecp256', 'ike'), [
    gcm(128),
    gcm(256),
    prf(PrfId.HMAC_SHA2_384),
    dh(DhGroupId.ECP_384),
    dh(DhGroupId.ECP_256),
  ]);
  assert.deepEqual(parseProposal('chacha20poly1305-prfsha256-curve25519', 'ike'), [
    chacha,
    prf(PrfId.HMAC_SHA2_256),
    dh(DhGroupId.CURVE25519),
  ]);
});

test('an explicit PRF wins over the one integrity would imply', () => {
  assert.deepEqual(parseProposal('aes128-sha1-prfsha512-ecp256', 'ike'), [
    cbc(128),
    integ(IntegId.HMAC_SHA1_96),
    prf(PrfId.HMAC_SHA2_512),
    dh(DhGroupId.ECP_256),
  ]);
  assert.deepEqual(parseProposal('aes192-sha384-sha512-x25519', 'ike'), [
    cbc(192),
    integ(IntegId.HMAC_SHA2_384_192),
    integ(IntegId.HMAC_SHA2_512_256),
    prf(PrfId.HMAC_SHA2_384),
    prf(PrfId.HMAC_SHA2_512),
    dh(DhGroupId.CURVE25519),
  ]);
});

test('AEAD in IKE: integrity keywords only imply the PRF and are dropped, as in strongSwan', () => {
  assert.deepEqual(parseProposal('aes256gcm16-sha384-ecp384', 'ike'), [
    gcm(256),
    prf(PrfId.HMAC_SHA2_384),
    dh(DhGroupId.ECP_384),
  ]);
  rejects('aes256gcm16-x25519', 'ike', /pseudo-random function/);
});

test('keyword aliases and case', () => {
  for (const alias of ['aes128gcm16', 'aes128gcm128', 'aes128gcm', 'AES128GCM16']) {
    assert.deepEqual(parseProposal(alias, 'esp'), [gcm(128), noEsn], alias);
  }
  assert.deepEqual(parseProposal('aes192gcm16', 'esp'), [gcm(192), noEsn]);
  assert.deepEqual(parseProposal('aes-sha', 'esp'), [cbc(128), integ(IntegId.HMAC_SHA1_96), noEsn]);
  for (const [word, id] of [
    ['sha2_256', IntegId.HMAC_SHA2_256_128],
    ['sha2_384', IntegId.HMAC_SHA2_384_192],
    ['sha2_512', IntegId.HMAC_SHA2_512_256],
  ] as const) {
    assert.deepEqual(parseProposal(`aes256-${word}`, 'esp'), [cbc(256), integ(id), noEsn]);
  }
  assert.deepEqual(parseProposal('aes256gcm16-prfsha1-modp2048', 'ike'), [
    gcm(256),
    prf(PrfId.HMAC_SHA1),
    dh(DhGroupId.MODP_2048),
  ]);
});

test('ESP: no group means no PFS, a group means PFS, none makes it optional; ESN defaults to no', () => {
  assert.deepEqual(parseProposal('aes256gcm16', 'esp'), [gcm(256), noEsn]);
  assert.deepEqual(parseProposal('aes256gcm16-x25519', 'esp'), [gcm(256), dh(DhGroupId.CURVE25519), noEsn]);
  assert.deepEqual(parseProposal('aes256gcm16-ecp256-none', 'esp'), [
    gcm(256),
    dh(DhGroupId.ECP_256),
    dh(DhGroupId.NONE),
    noEsn,
  ]);
  assert.deepEqual(parseProposal('aes256-sha256-esn', 'esp'), [cbc(256), integ(IntegId.HMAC_SHA2_256_128), esn]);
  assert.deepEqual(parseProposal('aes256-sha256-esn-noesn', 'esp'), [
    cbc(256),
    integ(IntegId.HMAC_SHA2_256_128),
    esn,
    noEsn,
  ]);
  // strongSwan removes PRFs from ESP proposals and integrity from AEAD ones
  assert.deepEqual(parseProposal('aes256gcm16-prfsha256-sha256', 'esp'), [gcm(256), noEsn]);
});

test('IKE drops "none" and still needs a real group', () => {
  assert.deepEqual(parseProposal('aes256gcm16-prfsha256-none-x25519', 'ike'), [
    gcm(256),
    prf(PrfId.HMAC_SHA2_256),
    dh(DhGroupId.CURVE25519),
  ]);
  rejects('aes256gcm16-prfsha256-none', 'ike', /key exchange method/);
  rejects('aes256gcm16-prfsha256', 'ike', /key exchange method/);
});

test('repeated keywords are offered once', () => {
  assert.deepEqual(parseProposal('aes256-aes256-sha256-sha2_256-x25519-curve25519', 'ike'), [
    cbc(256),
    integ(IntegId.HMAC_SHA2_256_128),
    prf(PrfId.HMAC_SHA2_256),
    dh(DhGroupId.CURVE25519),
  ]);
});

test('bad proposals are refused with a sentence naming the problem', () => {
  rejects('aes256-md5-modp2048', 'ike', /"md5".*not an algorithm Outpost supports/);
  rejects('3des-sha1-modp1024', 'ike', /"3des"/);
  rejects('aes256gcm16-prfsha256-modp1024', 'ike', /"modp1024"/);
  rejects('aes256--sha256-x25519', 'ike', /empty algorithm name/);
  rejects('', 'esp', /empty/);
  rejects('sha256-prfsha256-x25519', 'ike', /no encryption algorithm/);
  rejects('aes256gcm16-aes256-sha256-x25519', 'ike', /mixes AEAD/);
  rejects('aes256-prfsha256-x25519', 'ike', /integrity algorithm/);
  rejects('aes256', 'esp', /integrity algorithm/);
  rejects('aes256gcm16-prfsha256-x25519-esn', 'ike', /ESP only/);
  assert.throws(() => parseProposal('aes256-md5', 'esp'), /The ESP proposal "aes256-md5"/);
});

test('lists: comma-separated text, arrays and the word "default"', () => {
  assert.deepEqual(parseProposalList('aes256gcm16, aes256-sha256', 'esp'), [
    [gcm(256), noEsn],
    [cbc(256), integ(IntegId.HMAC_SHA2_256_128), noEsn],
  ]);
  assert.deepEqual(parseProposalList(['aes256gcm16-prfsha256-x25519'], 'ike'), [
    [gcm(256), prf(PrfId.HMAC_SHA2_256), dh(DhGroupId.CURVE25519)],
  ]);
  const withDefault = parseProposalList('aes128gcm16-prfsha256-ecp256,default', 'ike');
  assert.equal(withDefault.length, 1 + DEFAULT_IKE_PROPOSALS.length);
  assert.deepEqual(withDefault[1], parseProposal(DEFAULT_IKE_PROPOSALS[0]!, 'ike'));
  assert.throws(() => parseProposalList('', 'ike'), /empty/);
  assert.throws(() => parseProposalList([], 'esp'), /empty/);
  assert.throws(() => parseProposalList('aes256gcm16,,aes128gcm16', 'esp'), /empty/);
  assert.throws(() => parseProposalList(new Array(256).fill('aes256gcm16'), 'esp'), /At most 255/);
});

test('defaults parse, start with AES-256-GCM + x25519, and cover ecp256/ecp384/modp2048 and CBC', () => {
  const ike = parseProposalList(DEFAULT_IKE_PROPOSALS, 'ike');
  assert.deepEqual(ike[0], [gcm(256), prf(PrfId.HMAC_SHA2_256), dh(DhGroupId.CURVE25519)]);
  const all = ike.flat();
  for (const group of [DhGroupId.ECP_256, DhGroupId.ECP_384, DhGroupId.MODP_2048]) {
    assert.ok(
      all.some((t) => t.type === T.DH && t.id === group),
      `group ${group}`,
    );
  }
  assert.ok(all.some((t) => t.type === T.ENCR && t.id === EncrId.AES_CBC));
  const esp = parseProposalList(DEFAULT_ESP_PROPOSALS, 'esp');
  assert.deepEqual(esp[0], [gcm(256), noEsn]);
  // no PFS by default: the first child SA comes from IKE_AUTH, which carries no KE anyway
  assert.ok(esp.flat().every((t) => t.type !== T.DH));
});

test('formatTransforms prints strongSwan syntax that parses back to the same transforms', () => {
  assert.equal(formatTransforms(parseProposal('aes256gcm16-prfsha256-x25519', 'ike')), 'aes256gcm16-prfsha256-x25519');
  assert.equal(formatTransforms(parseProposal('aes-sha-modp2048', 'ike')), 'aes128-sha1-prfsha1-modp2048');
  assert.equal(formatTransforms(parseProposal('aes256gcm16', 'esp')), 'aes256gcm16');
  assert.equal(formatTransforms(parseProposal('aes256-sha512-esn', 'esp')), 'aes256-sha512-esn');
  assert.equal(formatTransforms(parseProposal('chacha20poly1305-curve25519', 'esp')), 'chacha20poly1305-x25519');
  for (const [texts, kind] of [
    [DEFAULT_IKE_PROPOSALS, 'ike'],
    [DEFAULT_ESP_PROPOSALS, 'esp'],
  ] as const) {
    for (const text of texts) {
      const parsed = parseProposal(text, kind);
      assert.deepEqual(parseProposal(formatTransforms(parsed), kind), parsed, text);
    }
  }
  // a negotiated result lists one transform per type, in any order
  assert.equal(
    formatTransforms([dh(DhGroupId.ECP_384), prf(PrfId.HMAC_SHA2_384), gcm(128)]),
    'aes128gcm16-prfsha384-ecp384',
  );
  assert.equal(formatTransforms([{ type: T.ENCR, id: 99, keyLength: 128 }, dh(21)]), 'encr#99_128-dh#21');
});

test('expandProposalList splits, trims and expands "default" without checking', () => {
  assert.deepEqual(expandProposalList(' aes256gcm16 ,default', 'esp'), ['aes256gcm16', ...DEFAULT_ESP_PROPOSALS]);
  assert.deepEqual(expandProposalList(['Default'], 'ike'), DEFAULT_IKE_PROPOSALS);
  assert.deepEqual(expandProposalList('bogus', 'ike'), ['bogus']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subnetsCovering } from './subnets.js';

const LABEL = 'The .sswan field "split-tunneling"';

test('included subnets are normalised, merged and kept', () => {
  assert.deepEqual(subnetsCovering(['10.1.2.3/8', '10.0.0.0/8', '192.0.2.5'], [], LABEL), [
    '10.0.0.0/8',
    '192.0.2.5/32',
  ]);
  // adjacent blocks join into the smallest cover
  assert.deepEqual(subnetsCovering(['192.0.2.0/25', '192.0.2.128/25'], [], LABEL), ['192.0.2.0/24']);
});

test('ranges become the fewest exact CIDR blocks', () => {
  assert.deepEqual(subnetsCovering(['192.0.2.10 - 192.0.2.20'], [], LABEL), [
    '192.0.2.10/31',
    '192.0.2.12/30',
    '192.0.2.16/30',
    '192.0.2.20/32',
  ]);
  assert.deepEqual(subnetsCovering(['198.51.100.0-198.51.100.255'], [], LABEL), ['198.51.100.0/24']);
  assert.deepEqual(subnetsCovering(['2001:db8::-2001:db8::3'], [], LABEL), ['2001:db8::/126']);
});

test('exclusions are cut out of the included set', () => {
  assert.deepEqual(subnetsCovering(['10.0.0.0/8'], ['10.128.0.0/9'], LABEL), ['10.0.0.0/9']);
  assert.deepEqual(subnetsCovering(['10.0.0.0/8'], ['10.0.0.0/10', '10.192.0.0/10'], LABEL), [
    '10.64.0.0/10',
    '10.128.0.0/10',
  ]);
  // an exclusion outside the included set or of the other family changes nothing
  assert.deepEqual(subnetsCovering(['10.0.0.0/8'], ['192.0.2.0/24', '2001:db8::/32'], LABEL), ['10.0.0.0/8']);
});

test('exclusions alone mean "everything else", both address families', () => {
  const ipv4Cut = subnetsCovering([], ['128.0.0.0/1'], LABEL);
  assert.deepEqual(ipv4Cut, ['0.0.0.0/1', '::/0']);
  const lan = subnetsCovering([], ['192.168.0.0/16', 'fe80::/10'], LABEL);
  assert.ok(!lan.includes('192.168.0.0/16'));
  assert.ok(lan.includes('0.0.0.0/1') && lan.includes('224.0.0.0/3') && lan.includes('::/1'));
  assert.ok(lan.includes('fec0::/10') && !lan.some((c) => c.startsWith('fe80')));
  // the cover is exact: its sizes add up to 2^32 - 2^16 IPv4 addresses
  const v4 = lan.filter((c) => !c.includes(':')).reduce((n, c) => n + 2 ** (32 - Number(c.split('/')[1])), 0);
  assert.equal(v4, 2 ** 32 - 2 ** 16);
});

test('bad entries and an empty result are refused', () => {
  assert.throws(() => subnetsCovering(['10.0.0.0/33'], [], LABEL), /split-tunneling" has "10\.0\.0\.0\/33"/);
  assert.throws(() => subnetsCovering(['192.0.2.9-192.0.2.1'], [], LABEL), /not a subnet or address range/);
  assert.throws(() => subnetsCovering(['192.0.2.1-2001:db8::1'], [], LABEL), /not a subnet or address range/);
  assert.throws(() => subnetsCovering(['vpn.example.com'], [], LABEL), /not a subnet or address range/);
  assert.throws(() => subnetsCovering(['10.0.0.0/8'], ['0.0.0.0/0'], LABEL), /excludes every address/);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { familyHeads, preferIpv6, resolveGateway } from './gateway-address.js';

test('IPv6 first, canonical text, no duplicates; the first of each family is what an attempt races', () => {
  const ordered = preferIpv6(['192.0.2.1', '2001:DB8:0:0::1', '198.51.100.1', '2001:db8::1', '2001:db8::2']);
  assert.deepEqual(ordered, ['2001:db8::1', '2001:db8::2', '192.0.2.1', '198.51.100.1']);
  assert.deepEqual(familyHeads(ordered), ['2001:db8::1', '192.0.2.1']);
  assert.deepEqual(familyHeads(['192.0.2.1']), ['192.0.2.1']);
});

// literals only: a name would ask the machine's resolver, and test traffic stays on this machine
test('literal addresses of either family resolve to themselves', async () => {
  assert.deepEqual(await resolveGateway('2001:db8:1::1'), ['2001:db8:1::1']);
  assert.deepEqual(await resolveGateway('192.0.2.1'), ['192.0.2.1']);
});

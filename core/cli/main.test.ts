import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ConnectResult } from '../tunnel/connection.js';
import { describe, humanSummary } from './connect-command.js';

const RESULT: ConnectResult = {
  ikeAlgorithms: 'AES_GCM_16_256/PRF_HMAC_SHA2_256/CURVE_25519',
  espAlgorithms: 'AES_GCM_16_256',
  natDetected: true,
  gateway: { id: 'vpn.example.test', certificateSubject: undefined },
  config: { ip4: '203.0.113.5', ip6: undefined, dns: ['198.51.100.53'], subnets: [], domains: ['corp.example'] },
  localTs: ['203.0.113.5/32'],
  remoteTs: ['198.51.100.0/24'],
  mtu: 1400,
  remoteNetworks: ['198.51.100.0/24'],
};

test('the summary names the split DNS domains, or says every name goes to the tunnel’s servers', () => {
  assert.deepEqual(describe(RESULT).dnsDomains, ['corp.example']);
  assert.match(humanSummary(RESULT), /^ {2}DNS domains: {2}corp\.example$/m);
  const all = { ...RESULT, config: { ...RESULT.config, domains: [] } };
  assert.match(humanSummary(all), /^ {2}DNS domains: {2}all names$/m);
});

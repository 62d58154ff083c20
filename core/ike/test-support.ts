/** A session configuration for tests that drive the IKE side with bytes alone: PSK both ways, documentation addresses. */
import { randomBytes } from '../crypto/random.js';
import { getDhGroup, getEncryption, getPrf } from '../crypto/registry.js';
import { DEFAULT_LIVENESS, type SessionConfig } from './config.js';
import { IkeSa } from './ike-sa.js';
import { deriveIkeKeys } from './keys.js';
import { DhGroupId, EncrId, PrfId, TransformType } from './message/index.js';
import type { Transform } from './message/types.js';
import { MessageProtection } from './protection.js';
import type { IkeSuite } from './suite.js';
import { ANY_IPV4 } from './traffic-selectors.js';

const IKE_PROPOSAL: Transform[] = [
  { type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 },
  { type: TransformType.PRF, id: PrfId.HMAC_SHA2_256 },
  { type: TransformType.DH, id: DhGroupId.CURVE25519 },
  { type: TransformType.DH, id: DhGroupId.ECP_256 },
];

export function testSessionConfig(overrides: Partial<SessionConfig> = {}): SessionConfig {
  return {
    local: { address: '192.0.2.2', port: 40000 },
    remote: { address: '192.0.2.1', port: 500 },
    localId: { idType: 2, data: Buffer.from('client.example.test') },
    remoteId: undefined,
    gatewayName: '192.0.2.1',
    gatewayAuth: { kind: 'psk', psk: Buffer.from('secret') },
    legacySignatures: false,
    rounds: [{ kind: 'psk', psk: Buffer.from('secret') }],
    ikeProposals: [IKE_PROPOSAL],
    espProposals: [[{ type: TransformType.ENCR, id: EncrId.AES_GCM_16, keyLength: 256 }]],
    localTs: [ANY_IPV4],
    remoteTs: [ANY_IPV4],
    requestIpv6: false,
    maxDatagram: 1228,
    retransmit: { initialMs: 1000, factor: 2, retries: 3 },
    liveness: DEFAULT_LIVENESS,
    childRekeyMs: 3_600_000,
    ikeRekeyMs: 14_400_000,
    ...overrides,
  };
}

/** An IKE SA of ours with random keys, as after IKE_SA_INIT: tasks and exchanges run on it without a gateway. */
export function establishedSa(): IkeSa {
  const suite: IkeSuite = {
    encryption: getEncryption(EncrId.AES_GCM_16, 256)!,
    integrity: undefined,
    prf: getPrf(PrfId.HMAC_SHA2_256)!,
    dh: getDhGroup(DhGroupId.CURVE25519)!,
    transforms: [],
  };
  const sa = new IkeSa(true, randomBytes(8), randomBytes(8));
  const keys = deriveIkeKeys({
    suite,
    sharedSecret: randomBytes(32),
    ni: randomBytes(32),
    nr: randomBytes(32),
    spiI: sa.spiI,
    spiR: sa.spiR,
  });
  sa.crypto = { suite, keys, protection: new MessageProtection(suite, keys, true) };
  return sa;
}

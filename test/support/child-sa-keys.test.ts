import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childSaKeysFromLog } from './child-sa-keys.js';
import { toHex } from './hex.js';

// from a gateway run with logChildKeys (AES-GCM-256: 32 bytes of key and 4 of salt per direction), with a line of
// another thread in between and the seed dump that comes before the keys
const LOG = `15:46:56 05[CHD] <ecdsa|1> CHILD_SA ecdsa{1} state change: CREATED => INSTALLING
15:46:56 05[CHD] <ecdsa|1> seed => 16 bytes @ 0x7fb3f8d93940
15:46:56 05[CHD] <ecdsa|1>    0: D1 87 64 52 78 51 8E 98 10 D8 FB CD 94 67 22 1E  ..dRxQ.......g".
15:46:56 05[CHD] <ecdsa|1> encryption initiator key => 36 bytes @ 0x7fb3d0001240
15:46:56 05[CHD] <ecdsa|1>    0: D7 37 41 05 41 BC BD 58 2C 41 AF 20 4A 4F 0B 36  .7A.A..X,A. JO.6
15:46:56 05[CHD] <ecdsa|1>   16: 42 33 46 A3 70 A7 77 11 02 16 44 02 D0 A6 D7 F6  B3F.p.w...D.....
15:46:56 05[CHD] <ecdsa|1>   32: 6B EF 71 60                                      k.q\`
15:46:56 09[NET] <rsa|2> received packet: from 192.0.2.2[500] to 192.0.2.1[500] (240 bytes)
15:46:56 05[CHD] <ecdsa|1> encryption responder key => 36 bytes @ 0x7fb3d0001430
15:46:56 05[CHD] <ecdsa|1>    0: E3 6A 35 74 62 5C FE 0D D8 53 51 AB 9D 9D A4 0D  .j5tb\\...SQ.....
15:46:56 05[CHD] <ecdsa|1>   16: 1A 96 B7 98 C7 6C 85 66 59 87 73 87 A9 18 CF 3D  .....l.fY.s....=
15:46:56 05[CHD] <ecdsa|1>   32: C6 DD 89 18                                      ....
15:46:56 05[CHD] <ecdsa|1> adding inbound ESP SA
15:46:56 05[IKE] <ecdsa|1> CHILD_SA ecdsa{1} established with SPIs e5c376dd_i c136612d_o and TS 198.51.100.0/24 === 203.0.113.1/32
15:46:56 05[CHD] <ecdsa|1> CHILD_SA ecdsa{1} state change: INSTALLING => INSTALLED
`;

test('the keys and SPIs of a CHILD_SA come out of the charon log', () => {
  const [child, ...more] = childSaKeysFromLog(LOG);
  assert.ok(child);
  assert.equal(more.length, 0);
  assert.deepEqual(
    {
      ...child,
      initiator: { encryption: toHex(child.initiator.encryption), integrity: toHex(child.initiator.integrity) },
      responder: { encryption: toHex(child.responder.encryption), integrity: toHex(child.responder.integrity) },
    },
    {
      name: 'ecdsa',
      uniqueId: 1,
      inboundSpi: 'e5c376dd',
      outboundSpi: 'c136612d',
      initiator: {
        encryption: 'd737410541bcbd582c41af204a4f0b36423346a370a7771102164402d0a6d7f66bef7160',
        integrity: '',
      },
      responder: {
        encryption: 'e36a3574625cfe0dd85351ab9d9da40d1a96b798c76c856659877387a918cf3dc6dd8918',
        integrity: '',
      },
    },
  );
});

test('a CHILD_SA whose keys were not logged (chd below 4) is left out', () => {
  assert.deepEqual(
    childSaKeysFromLog(
      LOG.split('\n')
        .filter((l) => !/key|: [0-9A-F]{2} /.test(l))
        .join('\n'),
    ),
    [],
  );
});
